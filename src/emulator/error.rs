//! The errors the emulator answers with: an HTTP status, an API error code
//! and a message, as the real gateway and ECS send them.
//!
//! Codes, messages and statuses come from the ModifyInstanceSpec error table
//! (the seed) and the gateway's common codes; where the real API documents
//! nothing, the choice is written in `docs/design/emulator.md`.

/// One error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// 400 `MissingParameter` naming the parameter.
    pub fn missing(param: &str) -> Self {
        Self::new(
            400,
            "MissingParameter",
            format!(
                "The input parameter \"{param}\" that is mandatory for processing this request is not supplied."
            ),
        )
    }

    /// 400 `InvalidParameter` naming the parameter.
    pub fn invalid(param: &str) -> Self {
        Self::new(
            400,
            "InvalidParameter",
            format!("The specified parameter {param} is not valid."),
        )
    }

    /// 400 with a parameter-specific code such as `InvalidInstanceName.Malformed`.
    pub fn invalid_code(code: &str, param: &str) -> Self {
        Self::new(
            400,
            code,
            format!("The specified parameter {param} is not valid."),
        )
    }

    pub fn instance_not_found() -> Self {
        Self::new(
            404,
            "InvalidInstanceId.NotFound",
            "The specified InstanceId does not exist.",
        )
    }

    /// Start/Stop/Delete in a status that does not allow it.
    pub fn incorrect_status() -> Self {
        Self::new(
            403,
            "IncorrectInstanceStatus",
            "The current status of the resource does not support this operation.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            500,
            "InternalError",
            "The request processing has failed due to some unknown error, exception or failure.",
        )
    }

    pub fn throttling() -> Self {
        Self::new(
            400,
            "Throttling",
            "You have made too many requests within a short time; your request is denied due to request throttling.",
        )
    }

    pub fn dry_run() -> Self {
        Self::new(
            400,
            "DryRunOperation",
            "Request validation has been passed with DryRun flag set.",
        )
    }

    pub fn charge_type_violation() -> Self {
        Self::new(
            403,
            "ChargeTypeViolation",
            "The operation is not permitted due to charge type of the instance.",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}
