//! Read queries over an account's cached directory: the people and priorities a responder
//! picks from when reassigning an incident or changing its priority.

use super::Store;
use crate::error::Result;
use crate::model::{Id, Person, Priority};

impl Store {
    /// The account's cached users, by name.
    pub fn users(&self, account: Id) -> Result<Vec<Person>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT provider_id, name, email FROM users WHERE account_id = ?1
             ORDER BY name COLLATE NOCASE, provider_id",
        )?;
        let rows = stmt.query_map([account], |r| {
            Ok(Person {
                provider_id: r.get(0)?,
                name: r.get(1)?,
                email: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The account's cached priorities (PagerDuty's P1..), by name.
    pub fn priorities(&self, account: Id) -> Result<Vec<Priority>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT account_id, provider_id, name FROM priorities WHERE account_id = ?1
             ORDER BY name COLLATE NOCASE, provider_id",
        )?;
        let rows = stmt.query_map([account], |r| {
            Ok(Priority {
                account_id: r.get(0)?,
                provider_id: r.get(1)?,
                name: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::test_support::store_with_drill;

    #[test]
    fn an_account_without_a_directory_has_no_users_or_priorities() {
        let (_dir, store, _id) = store_with_drill();
        let local = store.local_account().unwrap();
        assert!(store.users(local.id).unwrap().is_empty());
        assert!(store.priorities(local.id).unwrap().is_empty());
    }
}
