//! Email notifications: a customer hears when their order is placed and when
//! a parcel leaves; staff hear of every new order. Each email is an event of
//! the outbox, written in the transaction of the change it is about (so a
//! crash loses none, and a refused change sends none), handed on to the mail
//! queue, then sent over SMTP by one task per instance — at least once,
//! retried like webhooks, each attempt kept. Plain text and HTML.

use crate::domain::webhook::{DeliveryAttempt, RetryPolicy};
use crate::domain::{Order, Shipment, Timestamp};
use crate::server::metrics::metrics;
use crate::server::store::{MailDelivery, Queue, SharedStore};
use crate::server::webhooks::jitter;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// A sending email is held this long; then another instance may send it.
const LEASE: Duration = Duration::from_secs(120);
/// How long an SMTP server has for one message, all commands together
/// (each one has `COMMAND_WITHIN`).
const SEND_WITHIN: Duration = Duration::from_secs(60);
const COMMAND_WITHIN: Duration = Duration::from_secs(30);

/// `IGNIFLO_SMTP_URL` and the rest: where and how emails are sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailSettings {
    /// `smtp://user:pass@host:587` (STARTTLS when the server offers it) or
    /// `smtps://…` (TLS from the start).
    pub smtp_url: String,
    /// `IGNIFLO_MAIL_FROM`.
    pub from: String,
    /// `IGNIFLO_STAFF_ALERT_EMAIL`: told of every new order.
    pub staff_alert: Option<String>,
    /// `IGNIFLO_PUBLIC_URL`: where customers open the shop (tracking links).
    pub shop_url: String,
    pub payment_instructions: Option<String>,
}

/// One email, as the outbox keeps it until it is sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailMessage {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The customer's confirmation and, if staff are alerted, theirs.
pub fn order_placed(
    order: &Order,
    tracking_token: &str,
    settings: &MailSettings,
) -> Vec<MailMessage> {
    let money = |m| order.currency.format(m);
    let link = format!("{}/track?token={tracking_token}", settings.shop_url);
    let lines: Vec<String> = order
        .items
        .iter()
        .map(|l| {
            format!(
                "{} × {} ({}) — {}",
                l.quantity,
                l.name,
                l.sku,
                money(l.line_total)
            )
        })
        .collect();
    let pay = (!order.payment_received)
        .then_some(settings.payment_instructions.as_deref())
        .flatten();
    let mut text = format!(
        "Hello {},\n\nthank you for your order {}.\n\n{}\n\nTotal: {}\n",
        order.customer.name,
        order.number,
        lines.join("\n"),
        money(order.total)
    );
    if let Some(pay) = pay {
        text.push_str(&format!("\nHow to pay: {pay}\n"));
    }
    text.push_str(&format!("\nFollow your order: {link}\n"));
    let items_html: String = lines
        .iter()
        .map(|l| format!("<li>{}</li>", escape(l)))
        .collect();
    let html = format!(
        "<p>Hello {},</p><p>thank you for your order <strong>{}</strong>.</p><ul>{items_html}</ul>\
         <p>Total: <strong>{}</strong></p>{}<p><a href=\"{}\">Follow your order</a></p>",
        escape(&order.customer.name),
        escape(&order.number),
        escape(&money(order.total)),
        pay.map(|p| format!("<p>How to pay: {}</p>", escape(p)))
            .unwrap_or_default(),
        escape(&link),
    );
    let mut mails = vec![MailMessage {
        to: order.customer.email.clone(),
        subject: format!("Your order {}", order.number),
        text,
        html,
    }];
    if let Some(staff) = &settings.staff_alert {
        let text = format!(
            "New order {} from {} <{}>, {}:\n\n{}\n",
            order.number,
            order.customer.name,
            order.customer.email,
            money(order.total),
            lines.join("\n")
        );
        let html = format!("<pre>{}</pre>", escape(&text));
        mails.push(MailMessage {
            to: staff.clone(),
            subject: format!("New order {} ({})", order.number, money(order.total)),
            text,
            html,
        });
    }
    mails
}

/// The customer's note that a parcel left: the carrier and where to follow it.
pub fn parcel_sent(order: &Order, parcel: &Shipment, settings: &MailSettings) -> MailMessage {
    let carrier = parcel
        .carrier
        .as_deref()
        .map(|c| format!(" with {c}"))
        .unwrap_or_default();
    // Without the carrier's link: the shop's own order lookup (the order
    // number and the customer's email find it; the tracking token is kept
    // only as its hash).
    let tracking = parcel.tracking_url.clone().unwrap_or_else(|| {
        format!(
            "{}/track (order {}, {})",
            settings.shop_url, order.number, order.customer.email
        )
    });
    let number = parcel
        .tracking_number
        .as_deref()
        .map(|n| format!(" (tracking number {n})"))
        .unwrap_or_default();
    let units: i64 = parcel.items.iter().map(|i| i.quantity).sum();
    let text = format!(
        "Hello {},\n\na parcel with {units} item(s) of your order {} is on its way{carrier}{number}.\n\n\
         Follow it: {tracking}\n",
        order.customer.name, order.number
    );
    let html = format!(
        "<p>Hello {},</p><p>a parcel with {units} item(s) of your order <strong>{}</strong> is on its \
         way{}{}.</p><p>Follow it: {}</p>",
        escape(&order.customer.name),
        escape(&order.number),
        escape(&carrier),
        escape(&number),
        match &parcel.tracking_url {
            Some(url) => format!("<a href=\"{}\">{}</a>", escape(url), escape(url)),
            None => escape(&tracking),
        }
    );
    MailMessage {
        to: order.customer.email.clone(),
        subject: format!("Your order {} has shipped", order.number),
        text,
        html,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Sends the mail queue, oldest first, one email at a time.
pub struct MailSender {
    store: SharedStore,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    retries: RetryPolicy,
}

impl MailSender {
    pub fn start(
        store: SharedStore,
        settings: &MailSettings,
        retries: RetryPolicy,
        closing: watch::Receiver<bool>,
    ) -> Result<(), String> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| format!("IGNIFLO_MAIL_FROM is not an address ({e})"))?;
        if let Some(staff) = &settings.staff_alert {
            staff
                .parse::<Mailbox>()
                .map_err(|e| format!("IGNIFLO_STAFF_ALERT_EMAIL is not an address ({e})"))?;
        }
        let transport = transport(&settings.smtp_url)?;
        let probe = transport.clone();
        tokio::spawn(async move {
            match probe.test_connection().await {
                Ok(true) => tracing::info!("the SMTP server answers; emails are on"),
                _ => tracing::warn!(
                    "the SMTP server (IGNIFLO_SMTP_URL) does not answer; emails wait in the queue until it does"
                ),
            }
        });
        let sender = Arc::new(MailSender {
            store,
            transport,
            from,
            retries,
        });
        tokio::spawn(sender.run(closing));
        Ok(())
    }

    /// Runs until the shop closes.
    async fn run(self: Arc<Self>, mut closing: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.retries.first_ms.clamp(100, 1000) as u64);
        loop {
            while self.send_next().await {}
            tokio::select! {
                () = crate::server::service::closed(&mut closing) => return,
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// Sends the oldest due email, if there is one; false when none is due.
    async fn send_next(&self) -> bool {
        let now = Timestamp::now();
        let lease_until = Timestamp::from_millis(now.millis() + LEASE.as_millis() as i64);
        let mail = match self.store.claim_mail(now, lease_until).await {
            Ok(Some(mail)) => mail,
            Ok(None) => return false,
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim an email");
                return false;
            }
        };
        // Every refusal is retried for the day, a 5xx too: a wrong password
        // or sender is put right by the operator, and the emails then go.
        let attempt = self.attempt(&mail).await;
        let after = self
            .retries
            .after(&mail.attempts, &attempt, mail.retry_until, jitter());
        let (state, due_at, result) = after.outcome(attempt.at);
        metrics().email_attempt(result);
        match self
            .store
            .record_attempt(Queue::Mail, mail.id, lease_until, attempt, state, due_at)
            .await
        {
            Ok(recorded) => recorded,
            Err(e) => {
                tracing::warn!(error = %e, "cannot record an email attempt");
                false
            }
        }
    }

    /// One try at handing the email to the SMTP server.
    async fn attempt(&self, mail: &MailDelivery) -> DeliveryAttempt {
        let at = Timestamp::now();
        let started = Instant::now();
        let sent = match self.message(mail) {
            Ok(message) => {
                match tokio::time::timeout(SEND_WITHIN, self.transport.send(message)).await {
                    Ok(Ok(answer)) => Ok((
                        u16::from(answer.code()),
                        answer.message().collect::<Vec<_>>().join(" "),
                    )),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err(format!("no answer within {} s", SEND_WITHIN.as_secs())),
                }
            }
            Err(e) => Err(e),
        };
        DeliveryAttempt::of(at, started.elapsed().as_millis() as u64, sent)
    }

    fn message(&self, mail: &MailDelivery) -> Result<Message, String> {
        /// The outbox event the email came as: the message is its `data`.
        #[derive(Deserialize)]
        struct Event {
            data: MailMessage,
        }
        let content = serde_json::from_str::<Event>(&mail.body)
            .map_err(|e| format!("not a message: {e}"))?
            .data;
        let to: Mailbox = content
            .to
            .parse()
            .map_err(|e| format!("{:?} is not an address ({e})", content.to))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(content.subject)
            // The outbox event's id: a retry of the same email has the same one.
            .message_id(Some(format!("<{}@igniflo>", mail.event_id)))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(content.text),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(content.html),
                    ),
            )
            .map_err(|e| e.to_string())
    }
}

/// The SMTP connection `url` names: `smtp://` upgrades to TLS when the
/// server offers STARTTLS, `smtps://` speaks TLS from the start.
fn transport(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let bad = |e: &dyn std::fmt::Display| format!("IGNIFLO_SMTP_URL: {e}");
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| bad(&e))?;
    if url.starts_with("smtp://") && !url.contains("tls=") {
        let parsed = reqwest::Url::parse(url).map_err(|e| bad(&e))?;
        let host = parsed.host_str().ok_or_else(|| bad(&"needs a host"))?;
        let tls = TlsParameters::new(host.to_string()).map_err(|e| bad(&e))?;
        // A password never crosses the network in the clear: with one, the
        // server must offer STARTTLS.
        builder = builder.tls(if parsed.password().is_some() {
            Tls::Required(tls)
        } else {
            Tls::Opportunistic(tls)
        });
    }
    Ok(builder.timeout(Some(COMMAND_WITHIN)).build())
}
