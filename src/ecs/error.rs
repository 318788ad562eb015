//! Typed ECS errors: what failed (the action), what kind of failure it is,
//! the server's code and message, and the RequestId support will ask for.
//!
//! The [`ErrorKind`] is what callers branch on (not found during Read, wrong
//! status before a resize, ...); [`Error::is_retryable`] is what the retry loop
//! consults; [`Error::remedy`] is the one line a Terraform user reads to know
//! what to do. All three come from one table in [`super::codes`].

use std::fmt;

use super::codes;

/// The class of a failure. Stable enough to branch on; new kinds may appear.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The named instance does not exist (any more).
    NotFound,
    /// The instance is in a status that does not allow the action.
    InvalidStatus,
    /// A request value is wrong or missing; the user must change it.
    InvalidParameter,
    /// A ClientToken was reused with other parameters.
    Idempotence,
    /// Flow control: too many requests.
    Throttled,
    /// Credentials, signature, clock or permissions.
    Auth,
    /// Money: overdue payment, unpaid order, balance.
    Billing,
    /// The cloud cannot do this for this instance (type, image, charge type,
    /// stock, action).
    Unsupported,
    /// Another operation on the same resource is in progress.
    Conflict,
    /// The service failed (5xx, InternalError, ServiceUnavailable).
    Server,
    /// No HTTP answer: connection refused, reset, DNS, TLS.
    Transport,
    /// No answer in time: a connect/read timeout or the call's deadline.
    Timeout,
    /// The client was cancelled (Terraform's Stop).
    Cancelled,
    Other,
}

/// One failed ECS call.
#[derive(Clone, Debug)]
pub struct Error {
    pub kind: ErrorKind,
    /// The API action, e.g. `ModifyInstanceSpec`.
    pub action: String,
    /// The server's code (`InvalidInstanceStatus.NotStopped`), or a local one
    /// (`Transport`, `ReadTimeout`, `DeadlineExceeded`, `Cancelled`, ...).
    pub code: String,
    pub message: String,
    pub http_status: Option<u16>,
    /// Kept whenever the server sent one: Alibaba Cloud support needs it.
    pub request_id: Option<String>,
    /// A remedy that names this client's own settings (the endpoint URL,
    /// where the credentials came from); printed instead of the table's.
    pub hint: Option<Box<str>>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error answered by the API; the kind comes from the code table (and
    /// the HTTP status for codes not in it).
    pub fn api(
        action: &str,
        http_status: Option<u16>,
        code: &str,
        message: &str,
        request_id: Option<String>,
    ) -> Error {
        Error {
            kind: codes::classify(code, http_status).kind,
            action: action.to_string(),
            code: code.to_string(),
            message: message.to_string(),
            http_status,
            request_id,
            hint: None,
        }
    }

    /// An error raised on this side (no HTTP answer, bad config, cancel).
    pub fn local(kind: ErrorKind, action: &str, code: &str, message: impl Into<String>) -> Error {
        Error {
            kind,
            action: action.to_string(),
            code: code.to_string(),
            message: message.into(),
            http_status: None,
            request_id: None,
            hint: None,
        }
    }

    pub(crate) fn cancelled(action: &str) -> Error {
        Error::local(
            ErrorKind::Cancelled,
            action,
            codes::CANCELLED,
            "the provider was asked to stop",
        )
    }

    /// True when sending the same request again may succeed: network
    /// errors, 5xx, InternalError, ServiceUnavailable, Throttling*,
    /// LastTokenProcessing and its kin. Never for IdempotenceParamNotMatch.
    pub fn is_retryable(&self) -> bool {
        codes::is_retryable(self)
    }

    /// One line telling the user what to do.
    pub fn remedy(&self) -> &'static str {
        codes::remedy(self)
    }
}

impl fmt::Display for Error {
    /// `ModifyInstanceSpec: InvalidInstanceStatus.NotStopped (HTTP 400):
    /// <message> — <remedy> [RequestId: ...]`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.action, self.code)?;
        if let Some(status) = self.http_status {
            write!(f, " (HTTP {status})")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        write!(f, " — {}", self.hint.as_deref().unwrap_or(self.remedy()))?;
        if let Some(id) = &self.request_id {
            write!(f, " [RequestId: {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_every_part() {
        let e = Error::api(
            "ModifyInstanceSpec",
            Some(400),
            "InvalidInstanceStatus.NotStopped",
            "The specified Instance status is not stopped.",
            Some("04F0F334-1335-436C-A1D7-6C044FE73368".into()),
        );
        assert_eq!(
            e.to_string(),
            "ModifyInstanceSpec: InvalidInstanceStatus.NotStopped (HTTP 400): The specified \
             Instance status is not stopped. — the instance must be Stopped to change \
             instance_type [RequestId: 04F0F334-1335-436C-A1D7-6C044FE73368]"
        );
    }

    #[test]
    fn display_without_status_or_request_id() {
        let e = Error::local(
            ErrorKind::Transport,
            "StartInstance",
            "Transport",
            "connection reset",
        );
        let s = e.to_string();
        assert!(
            s.starts_with("StartInstance: Transport: connection reset — "),
            "{s}"
        );
        assert!(!s.contains("RequestId"), "{s}");
    }
}
