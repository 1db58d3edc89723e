import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/lib/errors";
import { socketErrorBody } from "../../src/realtime/socket/app";

describe("socket error bodies", () => {
  it("an unexpected failure of a send is 002's 'Failed to send message'; other events stay generic", () => {
    expect(socketErrorBody(new Error("db down"), "send_message")).toMatchObject({ statusCode: 500, message: "Failed to send message" });
    expect(socketErrorBody(new Error("db down"), "sendMessage").message).toBe("Failed to send message");
    expect(socketErrorBody(new Error("db down"), "get_unread_count").message).toBe("Internal server error");
  });

  it("expected failures keep their status and message", () => {
    expect(socketErrorBody(new ApiError(403, "Access denied"), "send_message")).toEqual({
      success: false,
      statusCode: 403,
      message: "Access denied",
      error: "Forbidden",
      detail: "Access denied",
    });
  });
});
