// A real socket.io client (npm socket.io-client) for the HTTP tests:
//   node socketio_listener.mjs URL [TOKEN]
// connects to URL (with `auth: { token }`: the admin token or an order's
// tracking token), prints "connected", then one line of JSON per
// `order-updated` event it receives, and `{"disconnected": reason}` when the
// server closes it.
import { io } from "socket.io-client";

const [url, token] = process.argv.slice(2);
const socket = io(url, { transports: ["websocket"], reconnection: false, auth: token ? { token } : {} });
socket.on("connect", () => console.log("connected"));
socket.on("order-updated", (order) => console.log(JSON.stringify(order)));
socket.on("disconnect", (reason) => console.log(JSON.stringify({ disconnected: reason })));
socket.on("connect_error", (e) => {
  console.error(`socket.io connect error: ${e.message}`);
  process.exit(1);
});
setTimeout(() => process.exit(0), 60_000);
