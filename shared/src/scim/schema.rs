//! The one definition of the SCIM resources this service speaks: User (RFC 7643 §4.1), the
//! Enterprise User extension (§4.3) and Group (§4.2), plus the common attributes (§3.1).
//!
//! Everything that depends on an attribute's characteristics — validation, mutability,
//! `returned`, case-exactness in filters, `/Schemas` — reads them from here.

use serde_json::{json, Value};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    Complex,
    Binary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

/// One attribute's characteristics (RFC 7643 §7).
#[derive(Debug, Clone, Copy)]
pub struct Attribute {
    pub name: &'static str,
    pub kind: AttrType,
    pub multi_valued: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub description: &'static str,
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub_attributes: &'static [Attribute],
}

/// An attribute with RFC 7643's default characteristics (§2.2).
pub(crate) const fn attr(name: &'static str, kind: AttrType, description: &'static str) -> Attribute {
    Attribute {
        name,
        kind,
        multi_valued: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        uniqueness: Uniqueness::None,
        description,
        canonical_values: &[],
        reference_types: &[],
        sub_attributes: &[],
    }
}

const fn string(name: &'static str, description: &'static str) -> Attribute {
    attr(name, AttrType::String, description)
}

const fn complex(name: &'static str, description: &'static str, subs: &'static [Attribute]) -> Attribute {
    Attribute { sub_attributes: subs, ..attr(name, AttrType::Complex, description) }
}

impl Attribute {
    const fn multi(self) -> Self {
        Attribute { multi_valued: true, ..self }
    }
    const fn required(self) -> Self {
        Attribute { required: true, ..self }
    }
    const fn case_exact(self) -> Self {
        Attribute { case_exact: true, ..self }
    }
    const fn read_only(self) -> Self {
        Attribute { mutability: Mutability::ReadOnly, ..self }
    }
    const fn immutable(self) -> Self {
        Attribute { mutability: Mutability::Immutable, ..self }
    }
    const fn write_only(self) -> Self {
        Attribute { mutability: Mutability::WriteOnly, returned: Returned::Never, ..self }
    }
    const fn always(self) -> Self {
        Attribute { returned: Returned::Always, ..self }
    }
    const fn unique(self) -> Self {
        Attribute { uniqueness: Uniqueness::Server, ..self }
    }
    const fn canonical(self, values: &'static [&'static str]) -> Self {
        Attribute { canonical_values: values, ..self }
    }
    const fn refs(self, types: &'static [&'static str]) -> Self {
        Attribute { reference_types: types, ..self }
    }

    /// The sub-attribute named `name`, compared case-insensitively.
    pub fn sub_attribute(&self, name: &str) -> Option<&'static Attribute> {
        self.sub_attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// This attribute as RFC 7643 §7 describes it in `/Schemas`.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": match self.kind {
                AttrType::String => "string",
                AttrType::Boolean => "boolean",
                AttrType::Decimal => "decimal",
                AttrType::Integer => "integer",
                AttrType::DateTime => "dateTime",
                AttrType::Reference => "reference",
                AttrType::Complex => "complex",
                AttrType::Binary => "binary",
            },
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": match self.mutability {
                Mutability::ReadOnly => "readOnly",
                Mutability::ReadWrite => "readWrite",
                Mutability::Immutable => "immutable",
                Mutability::WriteOnly => "writeOnly",
            },
            "returned": match self.returned {
                Returned::Always => "always",
                Returned::Never => "never",
                Returned::Default => "default",
                Returned::Request => "request",
            },
            "uniqueness": match self.uniqueness {
                Uniqueness::None => "none",
                Uniqueness::Server => "server",
                Uniqueness::Global => "global",
            },
        });
        if !self.canonical_values.is_empty() {
            v["canonicalValues"] = json!(self.canonical_values);
        }
        if !self.reference_types.is_empty() {
            v["referenceTypes"] = json!(self.reference_types);
        }
        if !self.sub_attributes.is_empty() {
            v["subAttributes"] = Value::Array(self.sub_attributes.iter().map(Attribute::to_json).collect());
        }
        v
    }
}

/// A schema: a URN and its attributes.
#[derive(Debug)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [Attribute],
}

impl Schema {
    /// The attribute named `name`, compared case-insensitively.
    pub fn attribute(&self, name: &str) -> Option<&'static Attribute> {
        self.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The schema resource served at `/Schemas/{id}`.
    pub fn to_json(&self, base_url: &str) -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(Attribute::to_json).collect::<Vec<_>>(),
            "meta": {
                "resourceType": "Schema",
                "location": format!("{base_url}/Schemas/{}", self.id),
            },
        })
    }
}

/// A resource type: its core schema and its extensions.
#[derive(Debug)]
pub struct ResourceType {
    pub id: &'static str,
    pub name: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static Schema,
    /// Extension schemas and whether each is required.
    pub extensions: &'static [(&'static Schema, bool)],
}

impl ResourceType {
    /// The schema with this URN among the core schema and the extensions (case-insensitive).
    pub fn schema_by_urn(&self, urn: &str) -> Option<&'static Schema> {
        std::iter::once(self.schema)
            .chain(self.extensions.iter().map(|(s, _)| *s))
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Resolves a top-level attribute: `urn` is the schema URN when the path names one
    /// (None means the core schema or the common attributes). Returns the schema the
    /// attribute belongs to (None for the common attributes `id`, `externalId`, `meta`)
    /// and the attribute.
    pub fn attribute(&self, urn: Option<&str>, name: &str) -> Option<(Option<&'static Schema>, &'static Attribute)> {
        match urn {
            Some(urn) => {
                let schema = self.schema_by_urn(urn)?;
                if schema.id == self.schema.id {
                    if let Some(a) = common_attribute(name) {
                        return Some((None, a));
                    }
                }
                schema.attribute(name).map(|a| (Some(schema), a))
            }
            None => common_attribute(name)
                .map(|a| (None, a))
                .or_else(|| self.schema.attribute(name).map(|a| (Some(self.schema), a))),
        }
    }

    /// Every schema URN this resource type knows.
    pub fn schema_urns(&self) -> impl Iterator<Item = &'static str> + '_ {
        std::iter::once(self.schema.id).chain(self.extensions.iter().map(|(s, _)| s.id))
    }

    /// The resource served at `/ResourceTypes/{id}`.
    pub fn to_json(&self, base_url: &str) -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": self.id,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema.id,
            "schemaExtensions": self.extensions.iter()
                .map(|(s, required)| json!({"schema": s.id, "required": required}))
                .collect::<Vec<_>>(),
            "meta": {
                "resourceType": "ResourceType",
                "location": format!("{base_url}/ResourceTypes/{}", self.id),
            },
        })
    }
}

/// The attributes every resource has (RFC 7643 §3.1).
pub static COMMON_ATTRIBUTES: &[Attribute] = &[
    string("id", "Unique identifier of the resource, assigned by the service provider.")
        .case_exact()
        .read_only()
        .always()
        .unique(),
    string("externalId", "Identifier of the resource as defined by the provisioning client.").case_exact(),
    complex(
        "meta",
        "Resource metadata.",
        &[
            string("resourceType", "The name of the resource type.").case_exact().read_only(),
            attr("created", AttrType::DateTime, "When the resource was added.").read_only(),
            attr("lastModified", AttrType::DateTime, "When the resource was last updated.").read_only(),
            attr("location", AttrType::Reference, "URI of the resource.").case_exact().read_only().refs(&["uri"]),
            string("version", "The version (ETag) of the resource.").case_exact().read_only(),
        ],
    )
    .read_only(),
];

/// The common attribute named `name` (case-insensitive).
pub fn common_attribute(name: &str) -> Option<&'static Attribute> {
    COMMON_ATTRIBUTES.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

const TYPE_WORK_HOME_OTHER: &[&str] = &["work", "home", "other"];

const fn multi_valued(name: &'static str, description: &'static str, subs: &'static [Attribute]) -> Attribute {
    complex(name, description, subs).multi()
}

pub static USER_SCHEMA: Schema = Schema {
    id: USER,
    name: "User",
    description: "User Account",
    attributes: &[
        string("userName", "Unique identifier for the User, used to authenticate; compared case-insensitively.")
            .required()
            .unique(),
        complex(
            "name",
            "The components of the user's real name.",
            &[
                string("formatted", "The full name, formatted for display."),
                string("familyName", "The family name."),
                string("givenName", "The given name."),
                string("middleName", "The middle name(s)."),
                string("honorificPrefix", "The honorific prefix(es)."),
                string("honorificSuffix", "The honorific suffix(es)."),
            ],
        ),
        string("displayName", "The name of the User, suitable for display."),
        string("nickName", "The casual way to address the user."),
        attr("profileUrl", AttrType::Reference, "A URI pointing to the user's online profile.").refs(&["external"]),
        string("title", "The user's title, such as \"Vice President\"."),
        string("userType", "The relationship between the organization and the user."),
        string("preferredLanguage", "The user's preferred written or spoken language."),
        string("locale", "The user's default location for localization."),
        string("timezone", "The user's time zone in IANA Time Zone database format."),
        attr("active", AttrType::Boolean, "The user's administrative status."),
        string("password", "The user's cleartext password: accepted, never stored or returned.").write_only(),
        multi_valued(
            "emails",
            "Email addresses for the user.",
            &[
                string("value", "Email address."),
                string("display", "A human-readable name."),
                string("type", "A label: work, home or other.").canonical(TYPE_WORK_HOME_OTHER),
                attr("primary", AttrType::Boolean, "The primary address."),
            ],
        ),
        multi_valued(
            "phoneNumbers",
            "Phone numbers for the user.",
            &[
                string("value", "Phone number."),
                string("display", "A human-readable name."),
                string("type", "A label: work, home, mobile, fax, pager or other.")
                    .canonical(&["work", "home", "mobile", "fax", "pager", "other"]),
                attr("primary", AttrType::Boolean, "The primary number."),
            ],
        ),
        multi_valued(
            "ims",
            "Instant messaging addresses for the user.",
            &[
                string("value", "Instant messaging address."),
                string("display", "A human-readable name."),
                string("type", "A label for the service."),
                attr("primary", AttrType::Boolean, "The primary address."),
            ],
        ),
        multi_valued(
            "photos",
            "URLs of photos of the user.",
            &[
                attr("value", AttrType::Reference, "URL of a photo.").refs(&["external"]),
                string("display", "A human-readable name."),
                string("type", "A label: photo or thumbnail.").canonical(&["photo", "thumbnail"]),
                attr("primary", AttrType::Boolean, "The primary photo."),
            ],
        ),
        complex(
            "addresses",
            "Physical mailing addresses for the user.",
            &[
                string("formatted", "The full mailing address."),
                string("streetAddress", "The street address."),
                string("locality", "The city or locality."),
                string("region", "The state or region."),
                string("postalCode", "The zip or postal code."),
                string("country", "The country name (ISO 3166-1 alpha-2)."),
                string("type", "A label: work, home or other.").canonical(TYPE_WORK_HOME_OTHER),
                attr("primary", AttrType::Boolean, "The primary address."),
            ],
        )
        .multi(),
        complex(
            "groups",
            "The groups the user belongs to; managed through the Group resource.",
            &[
                string("value", "The id of the group.").read_only(),
                attr("$ref", AttrType::Reference, "The URI of the group.").read_only().refs(&["Group"]),
                string("display", "The group's displayName.").read_only(),
                string("type", "direct or indirect.").read_only().canonical(&["direct", "indirect"]),
            ],
        )
        .multi()
        .read_only(),
        multi_valued(
            "entitlements",
            "Entitlements of the user.",
            &[
                string("value", "The entitlement."),
                string("display", "A human-readable name."),
                string("type", "A label."),
                attr("primary", AttrType::Boolean, "The primary entitlement."),
            ],
        ),
        multi_valued(
            "roles",
            "Roles of the user.",
            &[
                string("value", "The role."),
                string("display", "A human-readable name."),
                string("type", "A label."),
                attr("primary", AttrType::Boolean, "The primary role."),
            ],
        ),
        multi_valued(
            "x509Certificates",
            "Certificates of the user.",
            &[
                attr("value", AttrType::Binary, "The DER certificate, base64."),
                string("display", "A human-readable name."),
                string("type", "A label."),
                attr("primary", AttrType::Boolean, "The primary certificate."),
            ],
        ),
    ],
};

pub static ENTERPRISE_USER_SCHEMA: Schema = Schema {
    id: ENTERPRISE_USER,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[
        string("employeeNumber", "Numeric or alphanumeric identifier assigned to the person."),
        string("costCenter", "Identifies the name of a cost center."),
        string("organization", "Identifies the name of an organization."),
        string("division", "Identifies the name of a division."),
        string("department", "Identifies the name of a department."),
        complex(
            "manager",
            "The user's manager.",
            &[
                string("value", "The id of the manager's User."),
                attr("$ref", AttrType::Reference, "The URI of the manager's User.").refs(&["User"]),
                string("displayName", "The manager's displayName.").read_only(),
            ],
        ),
    ],
};

pub static GROUP_SCHEMA: Schema = Schema {
    id: GROUP,
    name: "Group",
    description: "Group",
    attributes: &[
        string("displayName", "A human-readable name for the Group; unique in the tenant.").required().unique(),
        complex(
            "members",
            "The members of the Group.",
            &[
                string("value", "The id of a member User.").immutable(),
                attr("$ref", AttrType::Reference, "The URI of the member.").immutable().refs(&["User", "Group"]),
                string("display", "The member's display name.").read_only(),
                string("type", "The type of member: User.").immutable().canonical(&["User", "Group"]),
            ],
        )
        .multi(),
    ],
};

pub static USER_TYPE: ResourceType = ResourceType {
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER_SCHEMA,
    extensions: &[(&ENTERPRISE_USER_SCHEMA, false)],
};

pub static GROUP_TYPE: ResourceType = ResourceType {
    id: "Group",
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP_SCHEMA,
    extensions: &[],
};

/// Every schema served at `/Schemas`.
pub static SCHEMAS: &[&Schema] = &[&USER_SCHEMA, &ENTERPRISE_USER_SCHEMA, &GROUP_SCHEMA];

/// Every resource type served at `/ResourceTypes`.
pub static RESOURCE_TYPES: &[&ResourceType] = &[&USER_TYPE, &GROUP_TYPE];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_resolve_case_insensitively_across_schemas() {
        let (schema, a) = USER_TYPE.attribute(None, "USERNAME").unwrap();
        assert_eq!(a.name, "userName");
        assert_eq!(schema.unwrap().id, USER);
        let (_, a) = USER_TYPE.attribute(Some(&ENTERPRISE_USER.to_uppercase()), "employeenumber").unwrap();
        assert_eq!(a.name, "employeeNumber");
        let (schema, a) = USER_TYPE.attribute(None, "ID").unwrap();
        assert!(schema.is_none());
        assert_eq!(a.returned, Returned::Always);
        assert!(USER_TYPE.attribute(None, "employeeNumber").is_none());
        assert!(GROUP_TYPE.attribute(None, "userName").is_none());
    }

    #[test]
    fn password_is_write_only_and_never_returned() {
        let a = USER_SCHEMA.attribute("password").unwrap();
        assert_eq!(a.mutability, Mutability::WriteOnly);
        assert_eq!(a.returned, Returned::Never);
    }
}
