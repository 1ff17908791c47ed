//! The labelled transaction builder every service writes through.
//!
//! A service change is one [`Table::transact`] call, all or nothing, often put together by
//! more than one service: a user's item and its uniqueness sentinels (the directory), a seat
//! taken from a pool (licenses), an audit item. Each action goes in with a label saying what
//! it stands for, in the label type of the service that runs the transaction; when a
//! condition fails, [`Transaction::commit`] answers with the label of the action whose
//! condition failed, so the caller can tell "userName taken" (409) from "stale version"
//! (retry) from "no seat left" (waiting) without counting positions. A service that adds
//! actions to a transaction another runs takes the label for them from its caller, e.g.
//! `take_seat(&mut write, Part::Seat, pool)`, so the caller's label type names them.
//!
//! A transaction holds at most [`crate::store::MAX_TRANSACT_ACTIONS`] actions (DynamoDB's
//! limit): a caller that writes in chunks sizes them to leave room for what other services add
//! to the same transaction (the directory's membership chunks check that at compile time).

use crate::store::{Action, StoreError, Table};

/// The actions of one transaction, each with its label.
#[derive(Debug)]
pub struct Transaction<L> {
    actions: Vec<Action>,
    labels: Vec<L>,
}

/// Why a transaction wrote nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure<L> {
    /// The condition of the action with this label did not hold.
    Condition(L),
    /// The store failed (busy, or a fault): nothing about the data.
    Store(StoreError),
}

impl<L> Default for Transaction<L> {
    fn default() -> Self {
        Transaction { actions: Vec::new(), labels: Vec::new() }
    }
}

impl<L: Clone> Transaction<L> {
    pub fn new() -> Transaction<L> {
        Transaction::default()
    }

    /// Adds `action`, standing for `label`.
    pub fn push(&mut self, label: L, action: Action) -> &mut Transaction<L> {
        self.actions.push(action);
        self.labels.push(label);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Writes every action or none. An empty transaction writes nothing and succeeds.
    pub async fn commit(self, table: &dyn Table) -> Result<(), Failure<L>> {
        if self.actions.is_empty() {
            return Ok(());
        }
        match table.transact(self.actions).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { index }) => match self.labels.get(index) {
                Some(label) => Err(Failure::Condition(label.clone())),
                None => Err(Failure::Store(StoreError::Other(format!(
                    "the store named action {index} of a transaction of {}",
                    self.labels.len()
                )))),
            },
            Err(e) => Err(Failure::Store(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteTable;
    use crate::store::{Condition, Item, Key};

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Part {
        Record,
        Sentinel,
    }

    fn put(pk: &str, condition: Option<Condition>) -> Action {
        Action::Put { item: Item::new(Key::new(pk, "x")), condition }
    }

    #[tokio::test]
    async fn a_failed_condition_comes_back_as_its_label_and_nothing_is_written() {
        let table = SqliteTable::in_memory();
        let mut first = Transaction::new();
        first.push(Part::Sentinel, put("taken", Some(Condition::NotExists)));
        first.commit(&table).await.unwrap();

        let mut second = Transaction::new();
        second.push(Part::Record, put("record", Some(Condition::NotExists)));
        second.push(Part::Sentinel, put("taken", Some(Condition::NotExists)));
        assert_eq!(second.commit(&table).await, Err(Failure::Condition(Part::Sentinel)));
        assert_eq!(table.get(&Key::new("record", "x")).await.unwrap(), None, "all or nothing");

        assert_eq!(Transaction::<Part>::new().commit(&table).await, Ok(()));
    }
}
