// A real socket.io client (npm socket.io-client) for tests/http_api.rs:
// connects to the URL given, prints "connected", then one line of JSON per
// `order-updated` event it receives.
import { io } from "socket.io-client";

const url = process.argv[2];
const socket = io(url, { transports: ["websocket"], reconnection: false });
socket.on("connect", () => console.log("connected"));
socket.on("order-updated", (order) => console.log(JSON.stringify(order)));
socket.on("connect_error", (e) => {
  console.error(`socket.io connect error: ${e.message}`);
  process.exit(1);
});
setTimeout(() => process.exit(0), 60_000);
