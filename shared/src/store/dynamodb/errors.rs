//! What DynamoDB's errors mean for the port, and how long the engine retries.
//!
//! A transaction cancelled because a condition failed names the action
//! ([`StoreError::ConditionFailed`]); contention (`TransactionConflict`, a transaction with
//! the same token still in progress) and throttling are retried with jittered exponential
//! backoff up to [`MAX_ATTEMPTS`], then [`StoreError::Busy`]; a request DynamoDB finds
//! invalid (a type mismatch only the stored item reveals, an item grown past 400 KB) is
//! [`StoreError::Invalid`], as on the embedded engine; anything else is
//! [`StoreError::Other`] with the SDK's message (which never holds credentials).

use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use rand::Rng;

use super::convert::Dynamo;
use crate::store::StoreError;

/// Most attempts of one transaction (or of one batch of unprocessed keys) before giving up.
pub(super) const MAX_ATTEMPTS: u32 = 6;
/// The first backoff's upper bound; each retry doubles it, so the waits before attempts 2 to 6
/// are drawn from [0, 50], [0, 100], [0, 200], [0, 400], [0, 800] ms: at most 1.55 s in all.
const BASE_BACKOFF: Duration = Duration::from_millis(50);

/// How long to wait before retry number `retry` (1 for the second attempt): "full jitter",
/// uniform in [0, BASE_BACKOFF · 2^(retry-1)], so racing writers spread out instead of
/// colliding again in step.
pub(super) fn backoff(retry: u32) -> Duration {
    let ceiling = BASE_BACKOFF.saturating_mul(1 << retry.saturating_sub(1).min(16));
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=millis))
}

/// What one failed attempt means.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Worth another attempt (with the same request and token); the error to report when the
    /// attempts run out: [`StoreError::Busy`] for contention and throttling,
    /// [`StoreError::Other`] for a server or transport failure.
    Retry(StoreError),
    /// Final.
    Fail(StoreError),
}

/// Error codes that mean "too much at once", top-level or as a cancellation reason.
const THROTTLING: [&str; 6] = [
    "ProvisionedThroughputExceeded",
    "ProvisionedThroughputExceededException",
    "ThrottlingError",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TransactionInProgressException",
];

/// The meaning of a TransactionCanceledException's reasons, one per action in order: the
/// first failed condition wins (conditions are judged before anything is written, as the
/// embedded engine judges them); then contention and throttling, worth a retry; then an
/// action DynamoDB found invalid.
pub(super) fn from_cancellation(reasons: &[(Option<&str>, Option<&str>)]) -> Outcome {
    if let Some(index) = reasons.iter().position(|(code, _)| *code == Some("ConditionalCheckFailed")) {
        return Outcome::Fail(StoreError::ConditionFailed { index });
    }
    let described = || {
        reasons
            .iter()
            .enumerate()
            .filter(|(_, (code, _))| !matches!(code, None | Some("None")))
            .map(|(i, (code, message))| {
                format!("action {i}: {} {}", code.unwrap_or_default(), message.unwrap_or_default())
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let has = |wanted: &dyn Fn(&str) -> bool| reasons.iter().any(|(code, _)| code.is_some_and(wanted));
    if has(&|code| code == "TransactionConflict" || THROTTLING.contains(&code)) {
        return Outcome::Retry(StoreError::Busy(format!("transaction cancelled: {}", described())));
    }
    if has(&|code| code == "ValidationError") {
        return Outcome::Fail(StoreError::Invalid(format!("DynamoDB refused the transaction: {}", described())));
    }
    Outcome::Fail(StoreError::Other(format!("transaction cancelled: {}", described())))
}

/// The meaning of a failed TransactWriteItems call. Transport failures (no answer, a timeout,
/// an unreadable answer) are retried too: the request may or may not have been applied, and
/// the same ClientRequestToken makes DynamoDB apply it at most once.
///
/// `guard_failure(index, item)` tells, for a failed condition of action `index` (with the item
/// as it was, when DynamoDB returned it), whether the engine's own guard failed rather than
/// the caller's condition: such a failure counts as a `ValidationError` with that message.
pub(super) fn from_transact<R: std::fmt::Debug>(
    err: &SdkError<TransactWriteItemsError, R>,
    guard_failure: impl Fn(usize, Option<&Dynamo>) -> Option<String>,
) -> Outcome {
    match err {
        SdkError::ServiceError(service) => match service.err() {
            TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                let reasons: Vec<(Option<String>, Option<String>)> = cancelled
                    .cancellation_reasons()
                    .iter()
                    .enumerate()
                    .map(|(index, reason)| {
                        let guard = match reason.code() {
                            Some("ConditionalCheckFailed") => guard_failure(index, reason.item()),
                            _ => None,
                        };
                        match guard {
                            Some(message) => (Some("ValidationError".to_owned()), Some(message)),
                            None => (reason.code().map(str::to_owned), reason.message().map(str::to_owned)),
                        }
                    })
                    .collect();
                let reasons: Vec<(Option<&str>, Option<&str>)> =
                    reasons.iter().map(|(code, message)| (code.as_deref(), message.as_deref())).collect();
                from_cancellation(&reasons)
            }
            // Matched by variant, not only by code, so the mapping does not hang on metadata.
            TransactWriteItemsError::ProvisionedThroughputExceededException(_)
            | TransactWriteItemsError::RequestLimitExceeded(_)
            | TransactWriteItemsError::ThrottlingException(_)
            | TransactWriteItemsError::TransactionInProgressException(_) => {
                Outcome::Retry(StoreError::Busy(format!("DynamoDB: {}", DisplayErrorContext(err))))
            }
            TransactWriteItemsError::InternalServerError(_) => {
                Outcome::Retry(StoreError::Other(format!("DynamoDB: {}", DisplayErrorContext(err))))
            }
            other => from_code(other.code(), other.message(), err),
        },
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            Outcome::Retry(StoreError::Other(format!("no answer from DynamoDB: {}", DisplayErrorContext(err))))
        }
        _ => Outcome::Fail(StoreError::Other(format!("DynamoDB: {}", DisplayErrorContext(err)))),
    }
}

/// The meaning of a service error by its code.
fn from_code<E: std::error::Error + 'static, R: std::fmt::Debug>(
    code: Option<&str>,
    message: Option<&str>,
    err: &SdkError<E, R>,
) -> Outcome {
    let text = || format!("{}: {}", code.unwrap_or("error"), message.unwrap_or_default());
    match code {
        Some(code) if THROTTLING.contains(&code) => Outcome::Retry(StoreError::Busy(text())),
        Some("InternalServerError") => Outcome::Retry(StoreError::Other(format!("DynamoDB: {}", text()))),
        Some("ValidationException") => Outcome::Fail(StoreError::Invalid(format!("DynamoDB refused: {}", text()))),
        _ => Outcome::Fail(StoreError::Other(format!("DynamoDB: {}", DisplayErrorContext(err)))),
    }
}

/// A failed read (the SDK has already retried what it classes as transient): throttling is
/// Busy, a refused request Invalid, anything else Other.
pub(super) fn from_read<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match from_code(err.code(), err.message(), &err) {
        Outcome::Retry(e) | Outcome::Fail(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::error::{ProvisionedThroughputExceededException, TransactionCanceledException};
    use aws_sdk_dynamodb::types::CancellationReason;

    use super::*;

    fn reasons<'a>(codes: &[&'a str]) -> Vec<(Option<&'a str>, Option<&'a str>)> {
        codes.iter().map(|code| (Some(*code), None)).collect()
    }

    #[test]
    fn the_first_failed_condition_is_reported() {
        let cases: [(&[&str], usize); 4] = [
            (&["ConditionalCheckFailed"], 0),
            (&["None", "None", "ConditionalCheckFailed"], 2),
            (&["None", "ConditionalCheckFailed", "None", "ConditionalCheckFailed"], 1),
            // A failed condition is final even beside a conflict: retrying cannot make it hold.
            (&["TransactionConflict", "ConditionalCheckFailed"], 1),
        ];
        for (codes, index) in cases {
            assert_eq!(
                from_cancellation(&reasons(codes)),
                Outcome::Fail(StoreError::ConditionFailed { index }),
                "{codes:?}"
            );
        }
    }

    #[test]
    fn contention_and_throttling_are_retried() {
        for code in ["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"]
        {
            let outcome = from_cancellation(&reasons(&["None", code]));
            assert!(
                matches!(outcome, Outcome::Retry(StoreError::Busy(ref text)) if text.contains(code)),
                "{code}: {outcome:?}"
            );
        }
    }

    #[test]
    fn other_cancellations_are_final() {
        let outcome = from_cancellation(&[(Some("None"), None), (Some("ValidationError"), Some("item too large"))]);
        assert!(
            matches!(outcome, Outcome::Fail(StoreError::Invalid(ref text)) if text.contains("action 1: ValidationError item too large")),
            "{outcome:?}"
        );
        let outcome = from_cancellation(&reasons(&["ItemCollectionSizeLimitExceeded"]));
        assert!(matches!(outcome, Outcome::Fail(StoreError::Other(_))), "{outcome:?}");
        assert!(matches!(from_cancellation(&[]), Outcome::Fail(StoreError::Other(_))));
    }

    fn service_error(err: TransactWriteItemsError) -> SdkError<TransactWriteItemsError, ()> {
        SdkError::service_error(err, ())
    }

    #[test]
    fn sdk_errors_of_a_transaction() {
        let cancelled = TransactionCanceledException::builder()
            .cancellation_reasons(CancellationReason::builder().code("None").build())
            .cancellation_reasons(CancellationReason::builder().code("ConditionalCheckFailed").build())
            .build();
        let err = service_error(TransactWriteItemsError::TransactionCanceledException(cancelled));
        assert_eq!(from_transact(&err, |_, _| None), Outcome::Fail(StoreError::ConditionFailed { index: 1 }));
        let guard = |index: usize, _: Option<&Dynamo>| (index == 1).then(|| "overflow".to_owned());
        let outcome = from_transact(&err, guard);
        assert!(matches!(outcome, Outcome::Fail(StoreError::Invalid(ref m)) if m.contains("overflow")), "{outcome:?}");

        let throttled = ProvisionedThroughputExceededException::builder().message("slow down").build();
        let err = service_error(TransactWriteItemsError::ProvisionedThroughputExceededException(throttled));
        assert!(matches!(from_transact(&err, |_, _| None), Outcome::Retry(StoreError::Busy(_))));

        let err: SdkError<TransactWriteItemsError, ()> =
            SdkError::timeout_error(std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out"));
        let outcome = from_transact(&err, |_, _| None);
        assert!(matches!(outcome, Outcome::Retry(StoreError::Other(_))), "a lost answer is retried: {outcome:?}");
    }

    #[test]
    fn backoff_is_bounded() {
        let mut total = Duration::ZERO;
        for retry in 1..MAX_ATTEMPTS {
            let ceiling = BASE_BACKOFF * (1 << (retry - 1));
            for _ in 0..100 {
                assert!(backoff(retry) <= ceiling, "retry {retry}");
            }
            total += ceiling;
        }
        assert_eq!(total, Duration::from_millis(1550), "the stated bound");
    }
}
