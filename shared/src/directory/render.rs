//! Stored items turned into the SCIM resources clients see (`schemas`, `id`, `meta`, …).

use serde_json::{json, Map, Value};

use super::{Resource, Tenant};
use crate::scim::schema::{ResourceType, GROUP_TYPE, USER_TYPE};
use crate::store::{Item, StoreError};

/// The weak entity tag of a version: `W/"3"`.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// The client-owned attributes of a stored resource.
pub fn doc(item: &Item) -> Result<Map<String, Value>, StoreError> {
    let raw = item.str("doc").ok_or_else(|| malformed(item))?;
    match serde_json::from_str(raw) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(malformed(item)),
    }
}

pub fn version(item: &Item) -> Result<i64, StoreError> {
    item.i64("version").ok_or_else(|| malformed(item))
}

fn malformed(item: &Item) -> StoreError {
    StoreError::Other(format!("stored item {}/{} is malformed", item.key.pk, item.key.sk))
}

/// A whole resource: `schemas`, `id`, the document, then `extra` (groups or members) and `meta`.
pub fn resource(
    rt: &ResourceType,
    tenant: &Tenant,
    id: &str,
    item: &Item,
    extra: Option<(&str, Value)>,
) -> Result<Resource, StoreError> {
    // The document's map becomes the body, so its attributes are not hashed into a new one.
    let mut body = doc(item)?;
    let version = version(item)?;
    let mut schemas = vec![Value::from(rt.schema.id)];
    schemas.extend(rt.extensions.iter().filter(|(s, _)| body.contains_key(s.id)).map(|(s, _)| Value::from(s.id)));
    body.shift_insert(0, "schemas".into(), Value::Array(schemas));
    body.shift_insert(1, "id".into(), Value::from(id));
    if let Some((name, value)) = extra {
        body.insert(name.to_owned(), value);
    }
    body.insert(
        "meta".into(),
        json!({
            "resourceType": rt.name,
            "created": item.str("created").unwrap_or_default(),
            "lastModified": item.str("modified").unwrap_or_default(),
            "location": format!("{}{}/{}", tenant.url, rt.endpoint, id),
            "version": etag(version),
        }),
    );
    Ok(Resource { id: id.to_owned(), version, body: Value::Object(body) })
}

/// The `groups` of a user: one entry per membership.
pub fn user_groups<'a>(tenant: &Tenant, group_ids: impl Iterator<Item = &'a String>) -> Value {
    Value::Array(
        group_ids
            .map(|g| json!({"value": g, "$ref": format!("{}{}/{}", tenant.url, GROUP_TYPE.endpoint, g), "type": "direct"}))
            .collect(),
    )
}

/// The `members` of a group from its member items.
pub fn group_members(tenant: &Tenant, members: &[Item]) -> Value {
    Value::Array(
        members
            .iter()
            .filter_map(|m| {
                let id = m.str("user_id")?;
                let mut entry = json!({
                    "value": id,
                    "$ref": format!("{}{}/{}", tenant.url, USER_TYPE.endpoint, id),
                    "type": "User",
                });
                if let Some(display) = m.str("display") {
                    entry["display"] = Value::from(display);
                }
                Some(entry)
            })
            .collect(),
    )
}
