//! Serialization of emitted data: every byte string (`serialize_bytes`, as `bytes::Bytes`
//! and `serde_bytes` do) becomes a binary attachment and a placeholder, wherever it sits.
//!
//! The wrapper forwards everything else to serde_json's serializer, so the JSON is
//! written once, straight into the packet buffer.

use std::cell::{Cell, RefCell};

use bytes::Bytes;
use serde::ser::{
    Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

/// What the top level of the emitted data was, which decides how many arguments it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `()`: no argument.
    Nothing,
    /// A tuple: one argument per element.
    Tuple,
    /// Anything else: one argument.
    One,
}

/// State shared by every level of one serialization.
pub(crate) struct Collector {
    attachments: RefCell<Vec<Bytes>>,
    shape: Cell<Shape>,
}

impl Collector {
    pub(crate) fn new() -> Self {
        Collector {
            attachments: RefCell::new(Vec::new()),
            shape: Cell::new(Shape::One),
        }
    }

    pub(crate) fn shape(&self) -> Shape {
        self.shape.get()
    }

    pub(crate) fn into_attachments(self) -> Vec<Bytes> {
        self.attachments.into_inner()
    }
}

/// Serializes `value` as JSON into `out`, collecting its byte strings as attachments.
pub(crate) fn to_json_with_attachments<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
    collector: &Collector,
) -> Result<(), serde_json::Error> {
    let mut json = serde_json::Serializer::new(out);
    value.serialize(BinarySerializer {
        inner: &mut json,
        collector,
        top: true,
    })
}

#[derive(serde::Serialize)]
struct Placeholder {
    _placeholder: bool,
    num: usize,
}

/// A serializer that turns byte strings into placeholders and forwards the rest.
pub(crate) struct BinarySerializer<'c, S> {
    inner: S,
    collector: &'c Collector,
    top: bool,
}

/// A value to be serialized by the wrapping serializer (below the top level).
struct Wrap<'c, 'v, T: ?Sized> {
    value: &'v T,
    collector: &'c Collector,
}

impl<T: Serialize + ?Sized> Serialize for Wrap<'_, '_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(BinarySerializer {
            inner: serializer,
            collector: self.collector,
            top: false,
        })
    }
}

/// A compound (sequence, map, struct …) whose elements are wrapped in turn.
pub(crate) struct Compound<'c, C> {
    inner: C,
    collector: &'c Collector,
}

impl<'c, S> BinarySerializer<'c, S> {
    fn wrap<'v, T: ?Sized>(&self, value: &'v T) -> Wrap<'c, 'v, T> {
        Wrap {
            value,
            collector: self.collector,
        }
    }
}

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $method(self, $($arg: $ty),*) -> Result<Self::Ok, Self::Error> {
            self.inner.$method($($arg),*)
        })*
    };
}

impl<'c, S: Serializer> Serializer for BinarySerializer<'c, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<'c, S::SerializeSeq>;
    type SerializeTuple = Compound<'c, S::SerializeTuple>;
    type SerializeTupleStruct = Compound<'c, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<'c, S::SerializeTupleVariant>;
    type SerializeMap = Compound<'c, S::SerializeMap>;
    type SerializeStruct = Compound<'c, S::SerializeStruct>;
    type SerializeStructVariant = Compound<'c, S::SerializeStructVariant>;

    forward! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_none();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Self::Ok, Self::Error> {
        let mut attachments = self.collector.attachments.borrow_mut();
        let num = attachments.len();
        attachments.push(Bytes::copy_from_slice(v));
        drop(attachments);
        Placeholder {
            _placeholder: true,
            num,
        }
        .serialize(self.inner)
    }

    fn serialize_unit(self) -> Result<Self::Ok, Self::Error> {
        if self.top {
            self.collector.shape.set(Shape::Nothing);
        }
        self.inner.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Self::Ok, Self::Error> {
        let wrapped = self.wrap(value);
        self.inner.serialize_some(&wrapped)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Self::Ok, Self::Error> {
        let wrapped = self.wrap(value);
        self.inner.serialize_newtype_struct(name, &wrapped)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Self::Ok, Self::Error> {
        let wrapped = self.wrap(value);
        self.inner
            .serialize_newtype_variant(name, index, variant, &wrapped)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> {
        let collector = self.collector;
        Ok(Compound {
            inner: self.inner.serialize_seq(len)?,
            collector,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, Self::Error> {
        if self.top {
            self.collector.shape.set(Shape::Tuple);
        }
        let collector = self.collector;
        Ok(Compound {
            inner: self.inner.serialize_tuple(len)?,
            collector,
        })
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, Self::Error> {
        let collector = self.collector;
        let inner = self.inner.serialize_tuple_struct(name, len)?;
        Ok(Compound { inner, collector })
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, Self::Error> {
        let collector = self.collector;
        let inner = self
            .inner
            .serialize_tuple_variant(name, index, variant, len)?;
        Ok(Compound { inner, collector })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, Self::Error> {
        let collector = self.collector;
        let inner = self.inner.serialize_map(len)?;
        Ok(Compound { inner, collector })
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, Self::Error> {
        let collector = self.collector;
        let inner = self.inner.serialize_struct(name, len)?;
        Ok(Compound { inner, collector })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, Self::Error> {
        let collector = self.collector;
        let inner = self
            .inner
            .serialize_struct_variant(name, index, variant, len)?;
        Ok(Compound { inner, collector })
    }
}

impl<'c, C> Compound<'c, C> {
    fn wrap<'v, T: ?Sized>(&self, value: &'v T) -> Wrap<'c, 'v, T> {
        Wrap {
            value,
            collector: self.collector,
        }
    }
}

macro_rules! compound_with_elements {
    ($($trait:ident::$method:ident),*) => {$(
        impl<C: $trait> $trait for Compound<'_, C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
                let wrapped = self.wrap(value);
                self.inner.$method(&wrapped)
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    )*};
}

compound_with_elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

macro_rules! compound_with_fields {
    ($($trait:ident),*) => {$(
        impl<C: $trait> $trait for Compound<'_, C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), C::Error> {
                let wrapped = self.wrap(value);
                self.inner.serialize_field(key, &wrapped)
            }
            fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
                self.inner.skip_field(key)
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    )*};
}

compound_with_fields!(SerializeStruct, SerializeStructVariant);

impl<C: SerializeMap> SerializeMap for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        let wrapped = self.wrap(key);
        self.inner.serialize_key(&wrapped)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        let wrapped = self.wrap(value);
        self.inner.serialize_value(&wrapped)
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}
