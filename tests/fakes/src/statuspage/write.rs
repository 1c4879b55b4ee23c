//! Creating and updating incidents: reading the body, checking it, and changing components.

use serde_json::{json, Map, Value};

use super::gate::SpError;
use super::model::{fresh_id, AffectedComponent, Page, SpIncident, SpUpdate};
use crate::model::now;

/// The realtime statuses; the scheduled ones belong to maintenances, which the fake lacks.
const REALTIME: [&str; 4] = ["investigating", "identified", "monitoring", "resolved"];
const SCHEDULED: [&str; 4] = ["scheduled", "in_progress", "verifying", "completed"];
const IMPACTS: [&str; 5] = ["none", "maintenance", "minor", "major", "critical"];
/// `""` is in the contract's enum: it names a component without changing its status.
const COMPONENT_STATUSES: [&str; 6] = [
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "",
];
/// The contract's limits, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 255;
pub(crate) const MAX_BODY_CHARS: usize = 25_000;

/// The `incident` object of a `POST`, `PATCH` or `PUT` body; absent fields stay unchanged.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Write {
    pub name: Option<String>,
    pub status: Option<String>,
    pub impact_override: Option<String>,
    pub body: Option<String>,
    pub component_ids: Option<Vec<String>>,
    /// Component id and new status, sorted by id (serde_json keeps maps sorted).
    pub components: Vec<(String, String)>,
}

impl Write {
    /// Reads a JSON or form-encoded body, as the contract accepts both: 400 when it is not
    /// an `incident` of the right types or does not match its `Content-Type`, 422 when a
    /// value is outside the contract's enums or limits.
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Write, SpError> {
        let media = content_type
            .and_then(|t| t.split(';').next())
            .map(str::trim);
        let body = match media {
            Some("application/json") => serde_json::from_slice(body)
                .map_err(|_| SpError::bad_request("The request body is not valid JSON"))?,
            Some("application/x-www-form-urlencoded") => from_form(body),
            _ => {
                let message = "Content-Type must be application/json or a form";
                return Err(SpError::bad_request(message));
            }
        };
        let Some(incident) = body.get("incident").and_then(Value::as_object) else {
            return Err(SpError::bad_request("incident is missing"));
        };
        let write = Write {
            name: text(incident, "name")?,
            status: text(incident, "status")?,
            impact_override: text(incident, "impact_override")?,
            body: text(incident, "body")?,
            component_ids: ids(incident)?,
            components: statuses(incident)?,
        };
        write.check()?;
        Ok(write)
    }

    fn check(&self) -> Result<(), SpError> {
        if let Some(name) = &self.name {
            if name.trim().is_empty() {
                return Err(SpError::unprocessable("Name can't be blank"));
            }
            if name.chars().count() > MAX_NAME_CHARS {
                let message = format!("Name is too long (maximum is {MAX_NAME_CHARS} characters)");
                return Err(SpError::unprocessable(message));
            }
        }
        if (self.body.as_ref()).is_some_and(|b| b.chars().count() > MAX_BODY_CHARS) {
            let message = format!("Body is too long (maximum is {MAX_BODY_CHARS} characters)");
            return Err(SpError::unprocessable(message));
        }
        check_status(self.status.as_deref())?;
        if let Some(impact) = self.impact_override.as_deref() {
            if !IMPACTS.contains(&impact) {
                return Err(SpError::unprocessable(format!(
                    "Impact override `{impact}` is not one of {}",
                    IMPACTS.join(", ")
                )));
            }
        }
        if let Some((id, status)) =
            (self.components.iter()).find(|(_, s)| !COMPONENT_STATUSES.contains(&s.as_str()))
        {
            let message = format!("Component {id} cannot have status `{status}`");
            return Err(SpError::unprocessable(message));
        }
        Ok(())
    }

    /// Every component the write names, each once, in the order first named.
    fn named_components(&self) -> Vec<String> {
        let listed = self.component_ids.iter().flatten();
        let mut ids: Vec<String> = Vec::new();
        for id in listed.chain(self.components.iter().map(|(id, _)| id)) {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }
}

/// Turns `incident[name]=x`, `incident[component_ids][]=a` and `incident[components][a]=s`
/// into the JSON the contract's examples show; other keys are left out.
fn from_form(body: &[u8]) -> Value {
    let mut incident = Map::new();
    for (key, value) in form_urlencoded::parse(body) {
        let Some(field) = key.strip_prefix("incident[") else {
            continue;
        };
        let value = Value::String(value.into_owned());
        if field == "component_ids][]" {
            let ids = incident.entry("component_ids").or_insert_with(|| json!([]));
            if let Some(ids) = ids.as_array_mut() {
                ids.push(value);
            }
        } else if let Some(id) = field.strip_prefix("components][") {
            let map = incident.entry("components").or_insert_with(|| json!({}));
            let id = id.strip_suffix(']').unwrap_or(id).to_owned();
            if let Some(map) = map.as_object_mut() {
                map.insert(id, value);
            }
        } else if let Some(name) = field.strip_suffix(']').filter(|n| !n.contains('[')) {
            incident.insert(name.to_owned(), value);
        }
    }
    // A form with no `incident[...]` field has no incident, as a JSON body without the key.
    if incident.is_empty() {
        return json!({});
    }
    json!({ "incident": incident })
}

fn check_status(status: Option<&str>) -> Result<(), SpError> {
    match status {
        None => Ok(()),
        Some(s) if REALTIME.contains(&s) => Ok(()),
        Some(s) if SCHEDULED.contains(&s) => Err(SpError::unprocessable(format!(
            "Status `{s}` is for scheduled maintenances, which this fake does not serve"
        ))),
        Some(s) => Err(SpError::unprocessable(format!(
            "Status `{s}` is not one of {}",
            REALTIME.join(", ")
        ))),
    }
}

fn text(incident: &Map<String, Value>, key: &str) -> Result<Option<String>, SpError> {
    match incident.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(SpError::bad_request(format!("{key} must be a string"))),
    }
}

fn ids(incident: &Map<String, Value>) -> Result<Option<Vec<String>>, SpError> {
    let bad = || SpError::bad_request("component_ids must be an array of strings");
    match incident.get("component_ids") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(bad()),
    }
}

fn statuses(incident: &Map<String, Value>) -> Result<Vec<(String, String)>, SpError> {
    let bad = || SpError::bad_request("components must map component ids to statuses");
    match incident.get("components") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(id, v)| Ok((id.clone(), v.as_str().ok_or_else(bad)?.to_owned())))
            .collect(),
        Some(_) => Err(bad()),
    }
}

/// Creates the incident with its first update and returns its id.
pub(crate) fn create(page: &mut Page, write: Write, ids: &mut u64) -> Result<String, SpError> {
    let name = (write.name.clone()).ok_or_else(|| SpError::unprocessable("Name can't be blank"))?;
    let named = known_components(page, &write)?;
    let at = now();
    let status = (write.status.clone()).unwrap_or_else(|| "investigating".to_owned());
    let mut incident = SpIncident {
        id: fresh_id(ids),
        name,
        status: status.clone(),
        impact_override: write.impact_override.clone(),
        component_ids: named,
        updates: Vec::new(),
        created_at: at,
        updated_at: at,
        monitoring_at: None,
        resolved_at: None,
    };
    stamp(&mut incident, &status);

    let affected = change_components(page, &write.components);
    incident.updates.push(SpUpdate {
        id: fresh_id(ids),
        status,
        body: write.body.unwrap_or_default(),
        affected_components: affected,
        created_at: at,
    });
    let id = incident.id.clone();
    page.incidents.push(incident);
    Ok(id)
}

/// Applies a `PATCH` or `PUT`; a new status, a message or a component change adds an update.
pub(crate) fn update(
    page: &mut Page,
    incident_id: &str,
    write: Write,
    ids: &mut u64,
) -> Result<(), SpError> {
    let named = known_components(page, &write)?;
    let affected = change_components(page, &write.components);
    let update_id = fresh_id(ids);
    let incident = page.incident_mut(incident_id).expect("the caller checked");
    let at = now();

    // A list of ids replaces the affected components; a status map alone only adds to them.
    if write.component_ids.is_some() {
        incident.component_ids.retain(|id| named.contains(id));
    }
    for id in named {
        if !incident.component_ids.contains(&id) {
            incident.component_ids.push(id);
        }
    }
    if let Some(name) = write.name {
        incident.name = name;
    }
    if let Some(impact) = write.impact_override {
        incident.impact_override = Some(impact);
    }
    let new_status = write.status.is_some();
    if let Some(status) = write.status {
        stamp(incident, &status);
        incident.status = status;
    }
    incident.updated_at = at;

    let body = write.body.unwrap_or_default();
    if new_status || !body.is_empty() || !affected.is_empty() {
        incident.updates.push(SpUpdate {
            id: update_id,
            status: incident.status.clone(),
            body,
            affected_components: affected,
            created_at: at,
        });
    }
    Ok(())
}

/// 422 for a component the page does not have; otherwise every component named.
fn known_components(page: &Page, write: &Write) -> Result<Vec<String>, SpError> {
    let named = write.named_components();
    if let Some(unknown) = named.iter().find(|id| page.component(id).is_none()) {
        let message = format!("Component {unknown} does not belong to this page");
        return Err(SpError::unprocessable(message));
    }
    Ok(named)
}

/// Sets the components' statuses and returns the changes, skipping `""` and no-ops.
fn change_components(page: &mut Page, changes: &[(String, String)]) -> Vec<AffectedComponent> {
    let at = now();
    let mut affected = Vec::new();
    for (id, status) in changes.iter().filter(|(_, s)| !s.is_empty()) {
        let Some(component) = page.components.iter_mut().find(|c| &c.id == id) else {
            continue;
        };
        if &component.status == status {
            continue;
        }
        affected.push(AffectedComponent {
            code: id.clone(),
            name: component.name.clone(),
            old_status: std::mem::replace(&mut component.status, status.clone()),
            new_status: status.clone(),
        });
        component.updated_at = at;
    }
    affected
}

/// Records when the incident entered monitoring or was resolved.
fn stamp(incident: &mut SpIncident, status: &str) {
    let at = now();
    match status {
        "monitoring" if incident.monitoring_at.is_none() => incident.monitoring_at = Some(at),
        "resolved" if incident.resolved_at.is_none() => incident.resolved_at = Some(at),
        _ => {}
    }
    if status != "resolved" {
        incident.resolved_at = None;
    }
}

/// The override if there is one, else the worst status among the incident's components.
pub(crate) fn impact(page: &Page, incident: &SpIncident) -> String {
    if let Some(impact) = &incident.impact_override {
        return impact.clone();
    }
    let rank = |status: &str| match status {
        "major_outage" => 3,
        "partial_outage" => 2,
        "degraded_performance" => 1,
        _ => 0,
    };
    let worst = (incident.component_ids.iter())
        .filter_map(|id| page.component(id))
        .map(|c| rank(&c.status))
        .max()
        .unwrap_or(0);
    ["none", "minor", "major", "critical"][worst].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Write, SpError> {
        Write::parse(Some("application/json"), body.as_bytes())
    }

    #[test]
    fn bodies_that_are_not_an_incident_are_bad_requests() {
        for body in [
            "nope",
            "[]",
            r#"{"name":"x"}"#,
            r#"{"incident":{"name":7}}"#,
        ] {
            let error = parse(body).unwrap_err();
            assert_eq!(error.status.as_u16(), 400, "{body}");
        }
    }

    #[test]
    fn values_outside_the_contract_are_unprocessable() {
        let long_name = format!(r#"{{"incident":{{"name":"{}"}}}}"#, "x".repeat(256));
        let long_body = format!(r#"{{"incident":{{"body":"{}"}}}}"#, "y".repeat(25_001));
        let bodies = [
            r#"{"incident":{"name":"  "}}"#.to_owned(),
            long_name,
            long_body,
            r#"{"incident":{"status":"on_fire"}}"#.to_owned(),
            r#"{"incident":{"status":"scheduled"}}"#.to_owned(),
            r#"{"incident":{"impact_override":"huge"}}"#.to_owned(),
            r#"{"incident":{"components":{"c1":"melted"}}}"#.to_owned(),
        ];
        for body in bodies {
            let error = parse(&body).unwrap_err();
            assert_eq!(
                error.status.as_u16(),
                422,
                "{}",
                &body[..40.min(body.len())]
            );
        }
    }

    #[test]
    fn form_bodies_read_like_json_ones() {
        let form = "incident[name]=API+errors&incident[status]=identified\
            &incident[component_ids][]=b&incident[components][a]=major_outage";
        let write = Write::parse(Some("application/x-www-form-urlencoded"), form.as_bytes());
        let json = r#"{"incident":{"name":"API errors","status":"identified",
            "component_ids":["b"],"components":{"a":"major_outage"}}}"#;
        assert_eq!(write.unwrap(), parse(json).unwrap());
    }

    #[test]
    fn a_body_must_match_its_content_type() {
        let json = br#"{"incident":{"name":"x"}}"#;
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
        ] {
            let error = Write::parse(content_type, json).unwrap_err();
            assert_eq!(error.status.as_u16(), 400, "{content_type:?}");
        }
        let json_type = Some("application/json; charset=utf-8");
        assert!(Write::parse(json_type, json).is_ok());
    }

    #[test]
    fn the_limits_count_characters_not_bytes() {
        let name = "é".repeat(MAX_NAME_CHARS);
        let body = format!(r#"{{"incident":{{"name":"{name}"}}}}"#);
        assert_eq!(parse(&body).unwrap().name.unwrap(), name);
    }

    #[test]
    fn named_components_are_listed_once_in_order() {
        let body =
            r#"{"incident":{"component_ids":["b","a"],"components":{"a":"","c":"major_outage"}}}"#;
        assert_eq!(parse(body).unwrap().named_components(), ["b", "a", "c"]);
    }
}
