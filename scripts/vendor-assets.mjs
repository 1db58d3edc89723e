// Copies the browser builds the Worker serves as static assets (Swagger UI for
// /docs, the Socket.IO client for the web page) from node_modules into
// public/vendor/, so nothing is ever loaded from a CDN.
import { copyFileSync, mkdirSync } from "node:fs";

const files = [
  ["node_modules/swagger-ui-dist/swagger-ui-bundle.js", "public/vendor/swagger-ui-bundle.js"],
  ["node_modules/swagger-ui-dist/swagger-ui.css", "public/vendor/swagger-ui.css"],
  ["node_modules/socket.io-client/dist/socket.io.min.js", "public/vendor/socket.io.min.js"],
];
mkdirSync("public/vendor", { recursive: true });
for (const [from, to] of files) copyFileSync(from, to);
