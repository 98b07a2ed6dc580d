// A webhook receiver for the HTTP tests, verifying signatures with the
// Standard Webhooks library (npm standardwebhooks), unchanged:
//   node webhook_receiver.mjs
// listens on a free port of 127.0.0.1 and prints "listening PORT", then one
// line of JSON per webhook request: {"verified", "id", "answered", "body"}.
// The test steers it through its control paths:
//   POST /control/secret   the endpoint's secret (whsec_…), as the body
//   POST /control/answers  statuses to answer with, e.g. "500,200": the
//                          first request gets 500, every later one 200
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

let secret = null;
let answers = [200];
let received = 0;

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    if (req.url === "/control/secret") {
      secret = body.trim();
      return res.end("ok");
    }
    if (req.url === "/control/answers") {
      answers = body.split(",").map(Number);
      received = 0;
      return res.end("ok");
    }
    let verified = false;
    try {
      new Webhook(secret).verify(body, req.headers);
      verified = true;
    } catch (e) {
      verified = `${e.message}`;
    }
    const answered = answers[Math.min(received, answers.length - 1)];
    received += 1;
    console.log(JSON.stringify({ verified, id: req.headers["webhook-id"], answered, body: JSON.parse(body) }));
    res.writeHead(answered, { "content-type": "text/plain" });
    res.end(`answered ${answered}`);
  });
});
server.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
