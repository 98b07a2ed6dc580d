//! How server functions answer: JSON, read in the browser from text, as the
//! data a page hydrates with is. Leptos reads a server function's answer
//! from bytes and a resource's hydration data from text, and each way of
//! reading builds the browser a copy of every deserializer the answer needs
//! (the order alone brings some twenty): one way of reading keeps one copy.

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{de::DeserializeOwned, Serialize};

/// Every server function's answer (`output = crate::pages::wire::Json`): JSON in the
/// body of the POST's answer.
pub type Json = Post<JsonText>;

pub struct JsonText;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            <serde_json::Error as serde::de::Error>::custom("the answer is not UTF-8")
        })?;
        serde_json::from_str(text)
    }
}
