//! `[[siem.targets]]`: where the audit trail is exported live (docs/siem.md).
//!
//! Each target is read from its TOML table with serde (`deny_unknown_fields`), then
//! checked; TLS credentials are loaded once here, so a missing or malformed CA or client
//! certificate is reported at start with the file, the key and the reason.

use super::{ConfigError, Kind, Origin, Values, err};
use plenum_siem::{Facility, PayloadFormat, Sender, TlsSettings, Transport};
use serde::Deserialize;
use std::path::PathBuf;

/// The keys of this module, merged into the parent's key list.
pub(super) const KEYS: &[(&str, Kind)] = &[("siem.targets", Kind::Tables)];

/// Most export targets one instance may list (each is a task and a connection).
pub const MAX_SIEM_TARGETS: usize = 8;

/// The live export of the audit trail.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiemConfig {
    pub targets: Vec<SiemTarget>,
}

/// One receiver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiemTarget {
    /// Names the target in logs and keys its persisted cursor: `[a-z0-9_-]{1,32}`.
    /// Renaming a target starts its export from the oldest stored entry again.
    pub name: String,
    /// `host:port` of the receiver.
    pub address: String,
    pub transport: SiemTransport,
    pub format: SiemFormat,
    /// Syslog facility name (`authpriv` unless configured).
    pub facility: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SiemTransport {
    /// RFC 5425 syslog over TLS; the receiver's certificate must chain to `ca_file`.
    Tls {
        ca_file: PathBuf,
        client_cert_file: Option<PathBuf>,
        client_key_file: Option<PathBuf>,
    },
    /// Octet-counted syslog over plain TCP (only when configured explicitly).
    Tcp,
    /// One message per UDP datagram; may lose messages (only when configured explicitly).
    Udp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SiemFormat {
    Json,
    Cef,
}

impl SiemTarget {
    /// The transport as the exporter takes it.
    pub fn transport(&self) -> Transport {
        match &self.transport {
            SiemTransport::Tls {
                ca_file,
                client_cert_file,
                client_key_file,
            } => Transport::Tls(TlsSettings {
                ca_file: ca_file.clone(),
                client_cert_file: client_cert_file.clone(),
                client_key_file: client_key_file.clone(),
            }),
            SiemTransport::Tcp => Transport::Tcp,
            SiemTransport::Udp => Transport::Udp,
        }
    }

    pub fn payload_format(&self) -> PayloadFormat {
        match self.format {
            SiemFormat::Json => PayloadFormat::Json,
            SiemFormat::Cef => PayloadFormat::Cef,
        }
    }

    /// The facility; validated at load, so the fallback is never taken.
    pub fn facility(&self) -> Facility {
        Facility::from_name(&self.facility).unwrap_or(Facility::AUTHPRIV)
    }
}

/// A target's table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    name: String,
    address: String,
    transport: Option<String>,
    format: Option<SiemFormat>,
    facility: Option<String>,
    ca_file: Option<PathBuf>,
    client_cert_file: Option<PathBuf>,
    client_key_file: Option<PathBuf>,
}

pub(super) fn from_values(v: &Values<'_>) -> Result<SiemConfig, ConfigError> {
    let Some((tables, origin)) = v.tables("siem.targets")? else {
        return Ok(SiemConfig::default());
    };
    if tables.len() > MAX_SIEM_TARGETS {
        return Err(err(
            origin,
            "siem.targets",
            format!("at most {MAX_SIEM_TARGETS} targets"),
        ));
    }
    let mut targets: Vec<SiemTarget> = Vec::with_capacity(tables.len());
    for (index, table) in tables.into_iter().enumerate() {
        let key = |field: &str| format!("siem.targets[{index}].{field}");
        let table_error =
            |reason: String| err(origin.clone(), &format!("siem.targets[{index}]"), reason);
        let raw: RawTarget = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| table_error(e.message().to_owned()))?;
        let target = target(raw, &origin, &key)?;
        if targets.iter().any(|t| t.name == target.name) {
            return Err(err(
                origin,
                &key("name"),
                format!("{:?} is used by an earlier target", target.name),
            ));
        }
        // Reads the CA and client credentials now, so a bad file stops the start.
        Sender::new(&target.address, &target.transport()).map_err(|e| {
            let field = match &e {
                plenum_siem::TransportError::ServerName(_) => "address",
                _ => "ca_file",
            };
            err(origin.clone(), &key(field), e.to_string())
        })?;
        targets.push(target);
    }
    Ok(SiemConfig { targets })
}

fn target(
    raw: RawTarget,
    origin: &Origin,
    key: &dyn Fn(&str) -> String,
) -> Result<SiemTarget, ConfigError> {
    let fail = |field: &str, reason: String| err(origin.clone(), &key(field), reason);
    let name_ok = (1..=32).contains(&raw.name.len())
        && raw
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !name_ok {
        return Err(fail(
            "name",
            format!("{:?} must be 1–32 of a-z, 0-9, - and _", raw.name),
        ));
    }
    let port_ok = raw
        .address
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
    if !port_ok
        || raw
            .address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(fail(
            "address",
            format!("{:?} must be host:port", raw.address),
        ));
    }
    let facility = raw.facility.unwrap_or_else(|| "authpriv".to_owned());
    if Facility::from_name(&facility).is_none() {
        let names: Vec<&str> = Facility::names().collect();
        return Err(fail(
            "facility",
            format!("{facility:?} is not one of {}", names.join(", ")),
        ));
    }
    let transport = match raw.transport.as_deref().unwrap_or("tls") {
        "tls" => {
            let ca_file = raw.ca_file.ok_or_else(|| {
                fail(
                    "ca_file",
                    "missing: TLS needs the CA that signed the receiver's certificate".into(),
                )
            })?;
            match (&raw.client_cert_file, &raw.client_key_file) {
                (Some(_), None) => {
                    return Err(fail(
                        "client_key_file",
                        "missing: set it with client_cert_file".into(),
                    ));
                }
                (None, Some(_)) => {
                    return Err(fail(
                        "client_cert_file",
                        "missing: set it with client_key_file".into(),
                    ));
                }
                _ => {}
            }
            SiemTransport::Tls {
                ca_file,
                client_cert_file: raw.client_cert_file,
                client_key_file: raw.client_key_file,
            }
        }
        plain @ ("tcp" | "udp") => {
            if let Some(field) = [
                ("ca_file", raw.ca_file.is_some()),
                ("client_cert_file", raw.client_cert_file.is_some()),
                ("client_key_file", raw.client_key_file.is_some()),
            ]
            .iter()
            .find_map(|(field, set)| set.then_some(*field))
            {
                return Err(fail(
                    field,
                    format!("only for transport \"tls\", not {plain:?}"),
                ));
            }
            if plain == "tcp" {
                SiemTransport::Tcp
            } else {
                SiemTransport::Udp
            }
        }
        other => {
            return Err(fail(
                "transport",
                format!("{other:?} is not one of tls, tcp, udp"),
            ));
        }
    };
    Ok(SiemTarget {
        name: raw.name,
        address: raw.address,
        transport,
        format: raw.format.unwrap_or(SiemFormat::Json),
        facility,
    })
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Layer, Origin};
    use std::path::PathBuf;

    fn load(toml: &str) -> Result<Config, String> {
        let origin = Origin::File(PathBuf::from("plenum.toml"));
        let layer = Layer::from_toml(toml, origin).map_err(|e| e.to_string())?;
        Config::from_layer(&layer).map_err(|e| e.to_string())
    }

    fn ca_file() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("plenum-siem-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(vec!["siem.example".to_owned()])
            .expect("params")
            .self_signed(&key)
            .expect("cert");
        let path = dir.join("ca.pem");
        std::fs::write(&path, cert.pem()).expect("write");
        path
    }

    #[test]
    fn targets_with_defaults_and_explicit_plain_transports() {
        let ca = ca_file();
        let config = load(&format!(
            r#"
[[siem.targets]]
name = "soc"
address = "siem.example:6514"
ca_file = "{}"

[[siem.targets]]
name = "lab"
address = "127.0.0.1:514"
transport = "udp"
format = "cef"
facility = "local4"
"#,
            ca.display()
        ))
        .expect("valid");
        let targets = &config.siem.targets;
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0].format, super::SiemFormat::Json);
        assert_eq!(targets[0].facility().code(), 10);
        assert!(matches!(
            targets[0].transport,
            super::SiemTransport::Tls { .. }
        ));
        assert_eq!(targets[1].transport, super::SiemTransport::Udp);
        assert_eq!(targets[1].facility().code(), 20);
        assert!(load("").expect("no targets").siem.targets.is_empty());
    }

    #[test]
    fn errors_name_the_file_the_key_and_the_reason() {
        let ca = ca_file();
        let ca = ca.display();
        let cases = [
            (
                "[[siem.targets]]\nname = \"soc\"\naddress = \"siem.example:6514\"\n".to_owned(),
                "siem.targets[0].ca_file: missing",
            ),
            (
                "[[siem.targets]]\nname = \"soc\"\naddress = \"siem.example:6514\"\nca_file = \"/nonexistent/ca.pem\"\n".to_owned(),
                "siem.targets[0].ca_file: cannot read /nonexistent/ca.pem",
            ),
            (
                format!("[[siem.targets]]\nname = \"soc\"\naddress = \"siem.example\"\nca_file = \"{ca}\"\n"),
                "siem.targets[0].address: \"siem.example\" must be host:port",
            ),
            (
                "[[siem.targets]]\nname = \"soc\"\naddress = \"h:514\"\ntransport = \"tcp\"\nca_file = \"x\"\n".to_owned(),
                "siem.targets[0].ca_file: only for transport \"tls\"",
            ),
            (
                "[[siem.targets]]\nname = \"soc\"\naddress = \"h:514\"\ntransport = \"http\"\n".to_owned(),
                "siem.targets[0].transport: \"http\" is not one of tls, tcp, udp",
            ),
            (
                "[[siem.targets]]\nname = \"soc\"\naddress = \"h:514\"\ntransport = \"tcp\"\nfacility = \"nope\"\n".to_owned(),
                "siem.targets[0].facility: \"nope\" is not one of kern",
            ),
            (
                "[[siem.targets]]\nname = \"Bad Name\"\naddress = \"h:514\"\ntransport = \"tcp\"\n".to_owned(),
                "siem.targets[0].name:",
            ),
            (
                "[[siem.targets]]\nname = \"a\"\naddress = \"h:514\"\ntransport = \"tcp\"\n[[siem.targets]]\nname = \"a\"\naddress = \"h:515\"\ntransport = \"tcp\"\n".to_owned(),
                "siem.targets[1].name: \"a\" is used by an earlier target",
            ),
            (
                "[[siem.targets]]\nname = \"a\"\naddress = \"h:514\"\ntransport = \"tcp\"\nport = 5\n".to_owned(),
                "siem.targets[0]: unknown field `port`",
            ),
            (
                format!("[[siem.targets]]\nname = \"a\"\naddress = \"h:514\"\nca_file = \"{ca}\"\nclient_cert_file = \"{ca}\"\n"),
                "siem.targets[0].client_key_file: missing",
            ),
        ];
        for (toml, expected) in cases {
            let error = load(&toml).expect_err(&toml);
            assert!(
                error.starts_with("config error in plenum.toml: ") && error.contains(expected),
                "{toml}\n→ {error}\nexpected {expected}"
            );
        }
    }
}
