//! [`Text`]: a text message's data, either built here or still inside the websocket
//! frame it arrived in (shared, not copied).

use std::fmt;
use std::ops::Deref;

use tokio_tungstenite::tungstenite::Utf8Bytes;

/// The data of a text message (an Engine.IO `4` packet): a `String` built by the sender,
/// or the websocket frame it arrived in, kept without a copy.
///
/// It reads as a `str` (`Deref`), and cloning a received one copies nothing.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    Owned(String),
    /// A message's websocket frame: `4` then the text.
    Frame(Utf8Bytes),
}

impl Text {
    /// The text of a websocket frame that carries a message (`4` then the text), sharing
    /// the frame's buffer; any other frame is handed back.
    pub(crate) fn of_message_frame(frame: Utf8Bytes) -> Result<Text, Utf8Bytes> {
        if frame.as_bytes().first() == Some(&b'4') {
            Ok(Text(Repr::Frame(frame)))
        } else {
            Err(frame)
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Owned(text) => text,
            // After the ASCII `4`, so on a character boundary.
            Repr::Frame(frame) => &frame.as_str()[1..],
        }
    }

    /// The text as a `String` (a copy, unless it was built from one).
    pub fn into_string(self) -> String {
        match self.0 {
            Repr::Owned(text) => text,
            Repr::Frame(_) => self.as_str().to_owned(),
        }
    }

    /// The same text in a buffer of its own: keeping it keeps no received frame (and the
    /// read buffer that frame is part of) alive.
    pub fn detached(self) -> Text {
        match self.0 {
            Repr::Owned(_) => self,
            Repr::Frame(_) => Text(Repr::Owned(self.as_str().to_owned())),
        }
    }

    /// The websocket frame of a message with this text (`4` then the text): a received
    /// text is sent as the frame it came in, an owned one takes the `4` in its spare
    /// capacity.
    pub(crate) fn into_message_frame(self) -> Utf8Bytes {
        match self.0 {
            Repr::Owned(mut text) => {
                text.insert(0, '4');
                text.into()
            }
            Repr::Frame(frame) => frame,
        }
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Default for Text {
    fn default() -> Self {
        Text(Repr::Owned(String::new()))
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Text(Repr::Owned(text))
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Text(Repr::Owned(text.to_owned()))
    }
}

impl From<Text> for String {
    fn from(text: Text) -> Self {
        text.into_string()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_as_a_str() {
        let text = Text::from("2[\"hello\"]");
        assert_eq!(&*text, "2[\"hello\"]");
        assert!(text.starts_with('2'));
    }

    #[test]
    fn a_message_frame_is_shared_and_sent_again_uncopied() {
        let frame = Utf8Bytes::from("4héllo");
        let text = Text::of_message_frame(frame.clone()).unwrap();
        assert_eq!(text, "héllo");
        assert_eq!(text.clone().into_string(), "héllo");
        let detached = text.clone().detached();
        assert_eq!(detached, "héllo");
        assert_ne!(detached.as_ptr(), frame[1..].as_ptr(), "a copy");
        let out = text.into_message_frame();
        assert_eq!(out, "4héllo");
        assert_eq!(
            out.as_ptr(),
            frame.as_ptr(),
            "the frame's buffer, not a copy"
        );
        assert!(Text::of_message_frame(Utf8Bytes::from("2probe")).is_err());
        assert!(Text::of_message_frame(Utf8Bytes::from("")).is_err());
        assert_eq!(Text::from("xyz").into_message_frame(), "4xyz");
    }
}
