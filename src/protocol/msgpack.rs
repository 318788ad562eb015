//! msgpack `DynamicValue` ⇄ [`Value`], driven by the schema's [`Type`].
//!
//! The encoding is cty's (go-cty `cty/msgpack`), which Terraform speaks:
//! - null is `nil`; unknown is any extension (Terraform ≥1.6 sends ext 12
//!   with refinements, older ones ext 0). We send `d4 00 00`.
//! - a number is an int when it fits, else a float64, else a decimal string;
//!   all three are accepted.
//! - lists, sets and tuples are arrays; maps are string-keyed maps; an object
//!   is a map holding exactly its type's attributes (null ones as `nil`).
//! - a `dynamic` value is `[type JSON, value]`.
//!
//! The decoder reads bytes by hand rather than through a generic msgpack
//! value: the type says what must come next, lengths are checked against the
//! bytes left before anything is allocated, and nesting is bounded, so any
//! input yields a value or a [`ValueError`], never a panic or a huge
//! allocation.

use super::diag::PathStep;
use super::value::{Number, Type, Value};
use super::value_error::{is_decimal, ValueError, MAX_DEPTH};
use std::collections::BTreeMap;

/// The unknown value as this provider sends it: fixext1, type 0, data 0.
pub const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

impl Value {
    /// Decodes Terraform's msgpack encoding of a value of type `ty`.
    ///
    /// # Errors
    /// When the bytes are not a msgpack value of that type; the error names
    /// the attribute path.
    pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
        let mut reader = Reader {
            buf: bytes,
            path: Vec::new(),
            depth: 0,
        };
        let value = reader.value(ty)?;
        if !reader.buf.is_empty() {
            return Err(reader.error(format!(
                "{} unexpected bytes after the value",
                reader.buf.len()
            )));
        }
        Ok(value)
    }

    /// Encodes this value as type `ty` for Terraform. Object attributes of
    /// the type that the value leaves out are written as null.
    ///
    /// # Errors
    /// When the value does not fit the type (a provider bug); the error
    /// names the attribute path.
    pub fn to_msgpack(&self, ty: &Type) -> Result<Vec<u8>, ValueError> {
        let mut writer = Writer {
            out: Vec::with_capacity(64),
            path: Vec::new(),
        };
        writer.value(self, ty)?;
        Ok(writer.out)
    }
}

// ----------------------------------------------------------------- decoding

struct Reader<'a> {
    buf: &'a [u8],
    path: Vec<PathStep>,
    depth: usize,
}

/// What kind of msgpack item a marker byte starts, for error messages.
fn describe(marker: u8) -> &'static str {
    match marker {
        0x00..=0x7f | 0xe0..=0xff | 0xcc..=0xd3 => "an integer",
        0x80..=0x8f | 0xde | 0xdf => "a map",
        0x90..=0x9f | 0xdc | 0xdd => "an array",
        0xa0..=0xbf | 0xd9..=0xdb => "a string",
        0xc0 => "nil",
        0xc2 | 0xc3 => "a bool",
        0xc4..=0xc6 => "binary data",
        0xc7..=0xc9 | 0xd4..=0xd8 => "an extension",
        0xca | 0xcb => "a float",
        _ => "a reserved marker",
    }
}

impl<'a> Reader<'a> {
    fn error(&self, message: impl Into<String>) -> ValueError {
        ValueError::new(&self.path, message)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ValueError> {
        if n > self.buf.len() {
            return Err(self.error("unexpected end of msgpack data"));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, ValueError> {
        Ok(self.take(1)?[0])
    }

    fn peek(&self) -> Result<u8, ValueError> {
        self.buf
            .first()
            .copied()
            .ok_or_else(|| self.error("unexpected end of msgpack data"))
    }

    /// A big-endian unsigned integer of `n` (1, 2, 4 or 8) bytes.
    fn uint(&mut self, n: usize) -> Result<u64, ValueError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// A length prefix, refused when it claims more items than bytes remain
    /// (each item takes at least one byte), so no allocation trusts it.
    fn len(&mut self, n: usize) -> Result<usize, ValueError> {
        let len = self.uint(n)?;
        usize::try_from(len)
            .ok()
            .filter(|len| *len <= self.buf.len())
            .ok_or_else(|| self.error("length exceeds the data"))
    }

    fn value(&mut self, ty: &Type) -> Result<Value, ValueError> {
        let marker = self.peek()?;
        if marker == 0xc0 {
            self.byte()?;
            return Ok(Value::Null);
        }
        if self.skip_extension(marker)? {
            return Ok(Value::Unknown);
        }
        if self.depth >= MAX_DEPTH {
            return Err(self.error("value nested too deeply"));
        }
        self.depth += 1;
        let value = match ty {
            Type::String => self.string().map(Value::String),
            Type::Number => self.number().map(Value::Number),
            Type::Bool => self.bool().map(Value::Bool),
            Type::List(elem) => self.elements(elem).map(Value::List),
            Type::Set(elem) => self.elements(elem).map(Value::Set),
            Type::Tuple(elems) => self.tuple(elems).map(Value::Tuple),
            Type::Map(elem) => self.map(elem).map(Value::Map),
            Type::Object(attrs) => self.object(attrs).map(Value::Object),
            Type::Dynamic => self.dynamic(),
        };
        self.depth -= 1;
        value
    }

    /// Skips an extension (any type: all mean "unknown"); false if the
    /// marker is not one.
    fn skip_extension(&mut self, marker: u8) -> Result<bool, ValueError> {
        let data_len = match marker {
            0xd4 => 1,
            0xd5 => 2,
            0xd6 => 4,
            0xd7 => 8,
            0xd8 => 16,
            0xc7..=0xc9 => {
                self.byte()?;
                let width = 1 << (marker - 0xc7);
                let len = self.len(width)?;
                self.take(1 + len)?;
                return Ok(true);
            }
            _ => return Ok(false),
        };
        self.take(2 + data_len)?;
        Ok(true)
    }

    fn string(&mut self) -> Result<String, ValueError> {
        let marker = self.byte()?;
        let len = match marker {
            0xa0..=0xbf => usize::from(marker & 0x1f),
            // cty's reader also takes binary data as a string.
            0xd9 | 0xc4 => self.len(1)?,
            0xda | 0xc5 => self.len(2)?,
            0xdb | 0xc6 => self.len(4)?,
            other => {
                return Err(self.error(format!("expected a string, found {}", describe(other))))
            }
        };
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.error("string is not valid UTF-8"))
    }

    fn number(&mut self) -> Result<Number, ValueError> {
        let marker = self.peek()?;
        let int = |v: i64| Ok::<_, ValueError>(Number::Int(v));
        match marker {
            0x00..=0x7f => int(i64::from(self.byte()?)),
            0xe0..=0xff => int(i64::from(self.byte()? as i8)),
            0xcc..=0xcf => {
                self.byte()?;
                let v = self.uint(1 << (marker - 0xcc))?;
                match i64::try_from(v) {
                    Ok(v) => int(v),
                    Err(_) => Ok(Number::Big(v.to_string())),
                }
            }
            0xd0..=0xd3 => {
                self.byte()?;
                let width = 1usize << (marker - 0xd0);
                let raw = self.uint(width)?;
                // Sign-extend from `width` bytes.
                let shift = 64 - 8 * width as u32;
                int(((raw << shift) as i64) >> shift)
            }
            0xca => {
                self.byte()?;
                let bits = self.uint(4)? as u32;
                self.float(f64::from(f32::from_bits(bits)))
            }
            0xcb => {
                self.byte()?;
                let bits = self.uint(8)?;
                self.float(f64::from_bits(bits))
            }
            _ => {
                let text = self.string().map_err(|_| {
                    self.error(format!("expected a number, found {}", describe(marker)))
                })?;
                if !is_decimal(&text) {
                    return Err(self.error(format!("{text:?} is not a number")));
                }
                Ok(text.parse().map_or(Number::Big(text), Number::Int))
            }
        }
    }

    fn float(&self, f: f64) -> Result<Number, ValueError> {
        if f.is_nan() {
            return Err(self.error("NaN is not a number"));
        }
        Ok(Number::Float(f))
    }

    fn bool(&mut self) -> Result<bool, ValueError> {
        match self.byte()? {
            0xc2 => Ok(false),
            0xc3 => Ok(true),
            other => Err(self.error(format!("expected a bool, found {}", describe(other)))),
        }
    }

    fn array_len(&mut self) -> Result<usize, ValueError> {
        match self.byte()? {
            m @ 0x90..=0x9f => Ok(usize::from(m & 0x0f)),
            0xdc => self.len(2),
            0xdd => self.len(4),
            other => Err(self.error(format!("expected an array, found {}", describe(other)))),
        }
    }

    fn map_len(&mut self) -> Result<usize, ValueError> {
        match self.byte()? {
            m @ 0x80..=0x8f => Ok(usize::from(m & 0x0f)),
            0xde => self.len(2),
            0xdf => self.len(4),
            other => Err(self.error(format!("expected a map, found {}", describe(other)))),
        }
    }

    fn elements(&mut self, elem: &Type) -> Result<Vec<Value>, ValueError> {
        let len = self.array_len()?;
        let mut items = Vec::with_capacity(len);
        for i in 0..len {
            self.path.push(PathStep::ElementKeyInt(i as i64));
            items.push(self.value(elem)?);
            self.path.pop();
        }
        Ok(items)
    }

    fn tuple(&mut self, elems: &[Type]) -> Result<Vec<Value>, ValueError> {
        let len = self.array_len()?;
        if len != elems.len() {
            return Err(self.error(format!(
                "expected a tuple of {} elements, found {len}",
                elems.len()
            )));
        }
        let mut items = Vec::with_capacity(len);
        for (i, ty) in elems.iter().enumerate() {
            self.path.push(PathStep::ElementKeyInt(i as i64));
            items.push(self.value(ty)?);
            self.path.pop();
        }
        Ok(items)
    }

    fn map(&mut self, elem: &Type) -> Result<BTreeMap<String, Value>, ValueError> {
        let len = self.map_len()?;
        let mut entries = BTreeMap::new();
        for _ in 0..len {
            let key = self.string()?;
            self.path.push(PathStep::ElementKeyString(key.clone()));
            let value = self.value(elem)?;
            if entries.insert(key, value).is_some() {
                return Err(self.error("duplicate map key"));
            }
            self.path.pop();
        }
        Ok(entries)
    }

    fn object(
        &mut self,
        attrs: &BTreeMap<String, Type>,
    ) -> Result<BTreeMap<String, Value>, ValueError> {
        let len = self.map_len()?;
        let mut entries = BTreeMap::new();
        for _ in 0..len {
            let name = self.string()?;
            let Some(ty) = attrs.get(&name) else {
                return Err(self.error(format!("unsupported attribute {name:?}")));
            };
            self.path.push(PathStep::Attribute(name.clone()));
            let value = self.value(ty)?;
            if entries.insert(name, value).is_some() {
                return Err(self.error("attribute given twice"));
            }
            self.path.pop();
        }
        if let Some(missing) = attrs.keys().find(|name| !entries.contains_key(*name)) {
            return Err(self.error(format!("missing attribute {missing:?}")));
        }
        Ok(entries)
    }

    fn dynamic(&mut self) -> Result<Value, ValueError> {
        if self.array_len()? != 2 {
            return Err(self.error("a dynamic value must be [type, value]"));
        }
        let type_json = self.string()?;
        let ty =
            Type::from_json_bytes(type_json.as_bytes()).map_err(|e| self.error(e.to_string()))?;
        let value = self.value(&ty)?;
        Ok(Value::Dynamic(Box::new((ty, value))))
    }
}

// ----------------------------------------------------------------- encoding

struct Writer {
    out: Vec<u8>,
    path: Vec<PathStep>,
}

/// The kind of a value, for error messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Unknown => "unknown",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) => "a list",
        Value::Set(_) => "a set",
        Value::Map(_) => "a map",
        Value::Object(_) => "an object",
        Value::Tuple(_) => "a tuple",
        Value::Dynamic(_) => "a dynamic value",
    }
}

impl Writer {
    fn mismatch(&self, value: &Value, ty: &Type) -> ValueError {
        ValueError::new(
            &self.path,
            format!("expected a value of type {ty}, found {}", kind(value)),
        )
    }

    fn value(&mut self, value: &Value, ty: &Type) -> Result<(), ValueError> {
        // Writing into a Vec cannot fail, so rmp's io results are ignored.
        let out = &mut self.out;
        match (value, ty) {
            (Value::Null, _) => {
                rmp::encode::write_nil(out).ok();
            }
            (Value::Unknown, _) => out.extend_from_slice(&UNKNOWN),
            (Value::Bool(b), Type::Bool) => {
                rmp::encode::write_bool(out, *b).ok();
            }
            (Value::Number(n), Type::Number) => self.number(n)?,
            (Value::String(s), Type::String) => {
                rmp::encode::write_str(out, s).ok();
            }
            (Value::List(items), Type::List(elem)) | (Value::Set(items), Type::Set(elem)) => {
                rmp::encode::write_array_len(out, len_u32(items.len())).ok();
                for (i, item) in items.iter().enumerate() {
                    self.path.push(PathStep::ElementKeyInt(i as i64));
                    self.value(item, elem)?;
                    self.path.pop();
                }
            }
            (Value::Tuple(items), Type::Tuple(elems)) => {
                if items.len() != elems.len() {
                    return Err(ValueError::new(
                        &self.path,
                        format!(
                            "expected a tuple of {} elements, found {}",
                            elems.len(),
                            items.len()
                        ),
                    ));
                }
                rmp::encode::write_array_len(out, len_u32(items.len())).ok();
                for (i, (item, elem)) in items.iter().zip(elems).enumerate() {
                    self.path.push(PathStep::ElementKeyInt(i as i64));
                    self.value(item, elem)?;
                    self.path.pop();
                }
            }
            (Value::Map(entries), Type::Map(elem)) => {
                rmp::encode::write_map_len(out, len_u32(entries.len())).ok();
                for (key, item) in entries {
                    rmp::encode::write_str(&mut self.out, key).ok();
                    self.path.push(PathStep::ElementKeyString(key.clone()));
                    self.value(item, elem)?;
                    self.path.pop();
                }
            }
            (Value::Object(entries), Type::Object(attrs)) => self.object(entries, attrs)?,
            (Value::Dynamic(inner), Type::Dynamic) => {
                let (inner_ty, inner_value) = &**inner;
                rmp::encode::write_array_len(out, 2).ok();
                rmp::encode::write_bin(out, &inner_ty.to_json_bytes()).ok();
                self.value(inner_value, inner_ty)?;
            }
            // A dynamic value where the schema names a concrete type: its
            // own type must be that type.
            (Value::Dynamic(inner), ty) if inner.0 == *ty => self.value(&inner.1, ty)?,
            _ => return Err(self.mismatch(value, ty)),
        }
        Ok(())
    }

    /// cty's choice: an integer when exact, else float64, else the text.
    fn number(&mut self, n: &Number) -> Result<(), ValueError> {
        match n {
            Number::Int(i) => {
                rmp::encode::write_sint(&mut self.out, *i).ok();
            }
            Number::Float(f) if f.is_nan() => {
                return Err(ValueError::new(&self.path, "NaN is not a number"));
            }
            Number::Float(f) => {
                rmp::encode::write_f64(&mut self.out, *f).ok();
            }
            Number::Big(text) if is_decimal(text) => {
                rmp::encode::write_str(&mut self.out, text).ok();
            }
            Number::Big(text) => {
                return Err(ValueError::new(
                    &self.path,
                    format!("{text:?} is not a number"),
                ));
            }
        }
        Ok(())
    }

    fn object(
        &mut self,
        entries: &BTreeMap<String, Value>,
        attrs: &BTreeMap<String, Type>,
    ) -> Result<(), ValueError> {
        if let Some(extra) = entries.keys().find(|name| !attrs.contains_key(*name)) {
            return Err(ValueError::new(
                &self.path,
                format!("attribute {extra:?} is not in the schema"),
            ));
        }
        rmp::encode::write_map_len(&mut self.out, len_u32(attrs.len())).ok();
        for (name, ty) in attrs {
            rmp::encode::write_str(&mut self.out, name).ok();
            self.path.push(PathStep::Attribute(name.clone()));
            self.value(entries.get(name).unwrap_or(&Value::Null), ty)?;
            self.path.pop();
        }
        Ok(())
    }
}

/// msgpack lengths are 32-bit; Terraform's 256 MB message limit keeps every
/// real collection far below that.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
