/** The HS256 secret the peer (bench/peer.ts) verifies and the bench signs its tokens with. */
export const PEER_SECRET = "bench-peer-secret-0123456789abcdef";
