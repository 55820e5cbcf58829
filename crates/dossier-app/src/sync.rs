//! Sync use cases: writing outbox messages in the transaction of the change they announce, the
//! providers a firm uses (secrets in a 0600 file beside the database, never in it), the outbox
//! views and a person's retry/discard, and the worker's side of delivery and reconciliation.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;
use ts_rs::TS;

use dossier_core::*;
use dossier_store::{NewOutbox, OutboxRow, ProviderRow, Tx};
use dossier_sync::{
    Adapters, Delivery, DeliveryResult, OutboxPort, PortError, ProviderConfig, RemoteCustomer, RemoteVerification,
    RunOptions,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::Duration;
use uuid::Uuid;

use crate::approvals::{Held, Submitted};
use crate::convert::timestamp;
use crate::credentials;
use crate::customers::page_limit;
use crate::dto::Page;
use crate::error::{Error, Problem, Reason, Result};
use crate::{Dossier, Env, policy};

/// How long a claimed message is owned by its worker before its fate counts as unknown.
const LEASE: Duration = Duration::seconds(120);

/// Writes one outbox message per enabled provider that takes `op`, in the caller's transaction.
pub(crate) fn enqueue(
    env: &Env,
    tx: &Tx<'_>,
    op: Operation,
    customer: CustomerId,
    subject: Option<Uuid>,
    payload: Value,
) -> Result<()> {
    // Every provider hears the same payload: it is written out once, and only when one does.
    let mut text: Option<String> = None;
    for provider in tx.enabled_providers()?.into_iter().filter(|p| p.operations().contains(&op)) {
        let id = OutboxId::from_uuid(env.ids.next_id());
        tx.insert_outbox(&NewOutbox {
            id,
            provider,
            operation: op,
            aggregate_id: *customer.as_uuid(),
            subject_id: subject,
            payload_version: 1,
            payload: text.get_or_insert_with(|| payload.to_string()).clone(),
            // Made from the message's id, which is unique, so the key is too without an index of
            // its own (migration 0015).
            idempotency_key: format!("{id}:{provider}:{op}"),
            created_at: env.clock.now(),
        })?;
    }
    Ok(())
}

/// The customer as providers are told about it (payload version 1).
pub(crate) fn customer_payload(c: &Customer) -> Value {
    let contact = |kind| c.contacts.iter().find(|k| k.kind() == kind).map(|k| k.value.as_str().to_owned());
    let (person, institution, dob) = match &c.party {
        Party::Person(p) => (
            json!({"first_name": p.first_name.as_str(), "middle_name": p.middle_name.as_ref().map(|m| m.as_str()),
                "last_name": p.last_name.as_str(), "date_of_birth": format_date(p.date_of_birth),
                "country_of_citizenship": p.country_of_citizenship.map(|c| c.to_string())}),
            Value::Null,
            Some(format_date(p.date_of_birth)),
        ),
        Party::Institution { details: d, .. } => (
            Value::Null,
            json!({"legal_name": d.legal_name.as_str(), "doing_business_as_name": d.doing_business_as_name.as_ref().map(|n| n.as_str()),
                "country_of_formation": d.country_of_formation.to_string(), "incorporation_date": d.incorporation_date.map(format_date)}),
            None,
        ),
    };
    let address = c.addresses.iter().find(|a| a.is_primary_physical()).map(|a| {
        json!({"street_address": a.street_address.as_str(), "street_address_2": a.street_address_2.as_ref().map(|s| s.as_str()),
            "city": a.city.as_str(), "state": a.state.as_ref().map(|s| s.as_str()),
            "postal_code": a.postal_code.as_ref().map(|s| s.as_str()), "country": a.country.to_string()})
    });
    json!({
        "v": 1, "customer_id": c.id.to_string(), "ref_id": c.ref_id.as_str(), "type": c.kind().as_str(),
        "person": person, "institution": institution, "date_of_birth": dob,
        "email": contact(ContactKind::Email), "mobile": contact(ContactKind::Mobile), "primary_address": address,
        "documents": c.documents.iter().map(|d| json!({"type": d.document_type.as_str(), "number": d.number.as_str(),
            "issuing_country": d.issuing_country.to_string(), "expires_on": d.expires_on.map(format_date)})).collect::<Vec<_>>(),
        "submitted_on": format_date(c.created_at.date()),
    })
}

/// What a provider hears when a customer is verified locally (payload version 1): the level,
/// and the customer as it is now, since a provider's own gate may check the same things.
pub(crate) fn verify_payload(c: &Customer, level: VerificationLevel) -> Value {
    let mut payload = customer_payload(c);
    payload["level"] = json!(level.as_str());
    payload
}

/// What a provider hears of a new identity verification (payload version 1).
pub(crate) fn verification_payload(v: &Verification) -> Value {
    json!({"v": 1, "verification_id": v.id.to_string(), "type": v.verification_type.as_str(), "method": v.method.as_str()})
}

// `Debug` is written by hand below: it never shows the secret.
#[derive(Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ProviderInput {
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub client_id: Option<String>,
    /// Stored in the credentials file (0600), never in the database or the output.
    pub client_secret: Option<String>,
    pub tenant: Option<String>,
}

impl std::fmt::Debug for ProviderInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderInput")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<redacted>"))
            .field("tenant", &self.tenant)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProviderView {
    pub name: &'static str,
    pub base_url: String,
    pub client_id: Option<String>,
    pub tenant: Option<String>,
    pub enabled: bool,
    pub has_secret: bool,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct OutboxView {
    pub id: String,
    pub seq: i64,
    pub provider: &'static str,
    pub operation: &'static str,
    pub aggregate_id: String,
    pub subject_id: Option<String>,
    pub status: &'static str,
    pub attempts: u32,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub remote_id: Option<String>,
    pub idempotency_key: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SyncStatusView {
    pub providers: Vec<ProviderStatusView>,
    pub open_conflicts: usize,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProviderStatusView {
    pub name: &'static str,
    pub enabled: bool,
    /// Whether the provider answered just now (`null` when not checked).
    pub reachable: Option<bool>,
    pub counts: BTreeMap<&'static str, i64>,
    /// Age of the oldest message not yet delivered, in seconds.
    pub oldest_pending_age_s: Option<i64>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SyncRunView {
    pub delivered: usize,
    pub retried: usize,
    pub needs_attention: usize,
    pub reconciled: usize,
    pub stopped_early: bool,
    pub status: SyncStatusView,
}

fn outbox_view(r: &OutboxRow) -> OutboxView {
    OutboxView {
        id: r.id.to_string(),
        seq: r.seq,
        provider: r.provider.as_str(),
        operation: r.operation.as_str(),
        aggregate_id: r.aggregate_id.to_string(),
        subject_id: r.subject_id.map(|s| s.to_string()),
        status: r.status.as_str(),
        attempts: r.attempts,
        next_attempt_at: timestamp(r.next_attempt_at),
        last_error: r.last_error.clone(),
        remote_id: r.remote_id.clone(),
        idempotency_key: r.idempotency_key.clone(),
        created_at: timestamp(r.created_at),
        updated_at: timestamp(r.updated_at),
    }
}

fn parse_provider(raw: &str) -> Result<Provider> {
    Provider::parse(raw).map_err(|e| Error::invalid_input(vec![Reason::from_value_error("name", &e)]))
}

impl Dossier {
    fn credentials_dir(&self) -> PathBuf {
        self.data_dir.clone()
    }

    /// Configures a provider and enables it. The secret goes to the credentials file.
    pub fn set_provider(&mut self, actor: &Actor, input: &ProviderInput) -> Result<ProviderView> {
        actor.require(Permission::Providers)?;
        let mut f = crate::convert::Fields::default();
        let provider = f.req("name", &input.name, Provider::parse);
        let base_url = f.req("base_url", &input.base_url, |s| {
            let s = s.trim();
            if s == crate::sandbox::SANDBOX {
                Ok(s.to_owned())
            } else if (s.starts_with("http://") || s.starts_with("https://"))
                && s.len() > 8
                && !s.contains(char::is_whitespace)
            {
                Ok(s.trim_end_matches('/').to_owned())
            } else {
                Err(ValueError::UnknownValue { allowed: "an http:// or https:// URL, or sandbox" })
            }
        });
        let client_id = f.opt("client_id", &input.client_id, |s| Text::parse(s, 200));
        let tenant = f.opt("tenant", &input.tenant, |s| Text::parse(s, 200));
        if let Some(secret) = &input.client_secret
            && secret.trim().is_empty()
        {
            f.push(Reason::field("client_secret", "required", "client_secret must not be empty"));
        }
        f.finish()?;
        let (Some(provider), Some(base_url), Ok(client_id), Ok(tenant)) = (provider, base_url, client_id, tenant)
        else {
            return Err(crate::customers::internal());
        };
        if let Some(secret) = &input.client_secret {
            credentials::store(&self.credentials_dir(), provider, secret.trim())?;
        }
        let has_secret = credentials::secret(&self.credentials_dir(), provider)?.is_some();
        self.write(|env, tx| {
            let row = ProviderRow {
                provider,
                base_url,
                client_id: client_id.map(|c| c.to_string()),
                tenant: tenant.map(|t| t.to_string()),
                enabled: true,
                updated_at: env.clock.now(),
            };
            tx.upsert_provider(&row)?;
            audit_settings(
                env,
                tx,
                actor,
                "provider.set",
                json!({"provider": provider.as_str(), "has_secret": has_secret}),
            )?;
            Ok(provider_view(&row, has_secret))
        })
    }

    pub fn providers(&self, actor: &Actor) -> Result<Vec<ProviderView>> {
        actor.require(Permission::Read)?;
        let rows = self.read(|_, tx| Ok(tx.providers()?))?;
        rows.iter()
            .map(|p| Ok(provider_view(p, credentials::secret(&self.credentials_dir(), p.provider)?.is_some())))
            .collect()
    }

    /// Stops telling a provider about changes; messages already written stay in the outbox.
    pub fn disable_provider(&mut self, actor: &Actor, name: &str) -> Result<ProviderView> {
        actor.require(Permission::Providers)?;
        let provider = parse_provider(name)?;
        let has_secret = credentials::secret(&self.credentials_dir(), provider)?.is_some();
        self.write(|env, tx| {
            let mut row = tx
                .providers()?
                .into_iter()
                .find(|p| p.provider == provider)
                .ok_or_else(|| Error::not_found("provider"))?;
            row.enabled = false;
            row.updated_at = env.clock.now();
            tx.upsert_provider(&row)?;
            audit_settings(env, tx, actor, "provider.disable", json!({"provider": provider.as_str()}))?;
            Ok(provider_view(&row, has_secret))
        })
    }

    pub fn sync_list(
        &self,
        actor: &Actor,
        status: Option<&str>,
        customer: Option<&str>,
        limit: Option<usize>,
        after: Option<&str>,
    ) -> Result<Page<OutboxView>> {
        actor.require(Permission::Read)?;
        let status = status
            .map(|s| {
                OutboxStatus::parse(s).map_err(|e| Error::invalid_input(vec![Reason::from_value_error("status", &e)]))
            })
            .transpose()?;
        let customer = customer
            .map(|c| {
                CustomerId::parse(c).map_err(|_| {
                    Error::invalid_input(vec![Reason::field("customer", "invalid_id", "customer is not a customer id")])
                })
            })
            .transpose()?;
        let after = crate::customers::seq_cursor(after)?;
        let limit = page_limit(limit)?;
        self.read(|_, tx| {
            let rows = tx.list_outbox(status, customer.map(|c| *c.as_uuid()), after, limit + 1)?;
            Ok(crate::customers::cut_page(rows, limit, |r| r.seq.to_string(), |r| outbox_view(&r)))
        })
    }

    /// Counts by provider and status, the oldest undelivered age, and (when `probe`) whether
    /// each enabled provider answers.
    pub fn sync_status(&self, actor: &Actor, probe: bool) -> Result<SyncStatusView> {
        actor.require(Permission::Read)?;
        self.outbox_status(probe)
    }

    fn outbox_status(&self, probe: bool) -> Result<SyncStatusView> {
        let now = self.env.clock.now();
        let (providers, counts, conflicts) =
            self.read(|_, tx| Ok((tx.providers()?, tx.outbox_counts()?, tx.open_conflicts(None)?.len())))?;
        let reachability = if probe {
            // A sandbox nobody hosts yet starts with the next sync run: it counts as reachable.
            let sandbox = self.running_sandbox();
            let targets: Vec<(Provider, String)> = providers
                .iter()
                .filter(|p| p.enabled && (p.base_url != crate::sandbox::SANDBOX || sandbox.is_some()))
                .map(|p| match (&sandbox, p.base_url == crate::sandbox::SANDBOX) {
                    (Some(url), true) => (p.provider, url.clone()),
                    _ => (p.provider, p.base_url.clone()),
                })
                .collect();
            let mut probed = dossier_sync::probe(&targets);
            probed.extend(
                providers
                    .iter()
                    .filter(|p| p.enabled && p.base_url == crate::sandbox::SANDBOX && sandbox.is_none())
                    .map(|p| (p.provider, true)),
            );
            probed
        } else {
            Vec::new()
        };
        let mut names: Vec<Provider> = providers.iter().map(|p| p.provider).collect();
        for c in &counts {
            if !names.contains(&c.provider) {
                names.push(c.provider);
            }
        }
        let views = names
            .into_iter()
            .map(|name| {
                let mine: Vec<_> = counts.iter().filter(|c| c.provider == name).collect();
                ProviderStatusView {
                    name: name.as_str(),
                    enabled: providers.iter().any(|p| p.provider == name && p.enabled),
                    reachable: reachability.iter().find(|(p, _)| *p == name).map(|(_, ok)| *ok),
                    counts: OutboxStatus::ALL
                        .iter()
                        .map(|s| (s.as_str(), mine.iter().filter(|c| c.status == *s).map(|c| c.count).sum()))
                        .collect(),
                    oldest_pending_age_s: mine
                        .iter()
                        .filter(|c| matches!(c.status, OutboxStatus::Pending | OutboxStatus::InFlight))
                        .filter_map(|c| c.oldest_created_at)
                        .min()
                        .map(|at| (now - at).whole_seconds().max(0)),
                }
            })
            .collect();
        Ok(SyncStatusView { providers: views, open_conflicts: conflicts })
    }

    /// A person sends a message that needs attention again, after fixing what was wrong.
    pub fn sync_retry(&mut self, actor: &Actor, id: &str) -> Result<OutboxView> {
        actor.require(Permission::Review)?;
        let id = parse_outbox_id(id)?;
        self.write(|env, tx| {
            env.change_outbox(tx, actor, id, None, "sync.retry", |row| {
                if row.status != OutboxStatus::NeedsAttention {
                    return Err(rule_error(
                        "not_needing_attention",
                        "only messages that need attention can be retried",
                    ));
                }
                Ok(OutboxStatus::Pending)
            })
        })
    }

    /// A person gives up on a message, with a reason; it will never be sent. A discard needs a
    /// second person: it is checked and held for approval. (Every discard, not only of messages
    /// that need attention: else a discard made while a message is still pending would pass
    /// with one pair of eyes.)
    pub fn sync_discard(&mut self, actor: &Actor, id: &str, reason: Option<&str>) -> Result<Submitted<OutboxView>> {
        actor.require(Permission::Review)?;
        let reason = Text::parse(reason.unwrap_or(""), 1000)
            .map_err(|e| Error::invalid_input(vec![Reason::from_value_error("reason", &e)]))?;
        let id = parse_outbox_id(id)?;
        let held = Held::SyncDiscard { outbox_id: id.to_string(), reason: reason.to_string() };
        self.hold(actor, ApprovalKind::SyncDiscard, *id.as_uuid(), &held, &reason).map(Submitted::pending)
    }

    /// The address of the sandbox, when this process or another one on this data directory
    /// hosts it.
    fn running_sandbox(&self) -> Option<String> {
        self.sandbox_url.clone().or_else(|| crate::sandbox::hosted_elsewhere(&self.data_dir))
    }

    /// The configured, enabled providers with their secrets, for the worker. Sandbox providers
    /// get the sandbox's address (`sandbox_url`) and its published credentials unless others
    /// are set.
    fn provider_configs(&self, only: Option<Provider>, sandbox_url: &str) -> Result<Vec<ProviderConfig>> {
        let rows = self.read(|_, tx| Ok(tx.providers()?))?;
        rows.into_iter()
            .filter(|p| p.enabled && only.is_none_or(|o| o == p.provider))
            .map(|p| {
                let secret = credentials::secret(&self.credentials_dir(), p.provider)?;
                if p.base_url == crate::sandbox::SANDBOX {
                    return Ok(ProviderConfig {
                        provider: p.provider,
                        client_secret: secret.unwrap_or_else(|| dossier_sim::SANDBOX_CLIENT_SECRET.to_owned()),
                        // The simulators share one address, each provider under its own prefix.
                        base_url: format!("{sandbox_url}/{}", p.provider.as_str()),
                        client_id: p.client_id.unwrap_or_else(|| dossier_sim::SANDBOX_CLIENT_ID.to_owned()),
                        // Mbanq's tenant; Qolo's program (the one needing no SSN).
                        tenant: p.tenant.or_else(|| match p.provider {
                            Provider::Mbanq => Some(dossier_sim::MBANQ_TENANT.to_owned()),
                            Provider::Qolo => Some(dossier_sim::QOLO_SDD_PROGRAM.to_owned()),
                            _ => None,
                        }),
                    });
                }
                Ok(ProviderConfig {
                    provider: p.provider,
                    client_secret: secret.unwrap_or_default(),
                    base_url: p.base_url,
                    client_id: p.client_id.unwrap_or_default(),
                    tenant: p.tenant,
                })
            })
            .collect()
    }

    /// Configures the four providers on the built-in sandbox when none is configured yet (a
    /// fresh data directory), so sync works out of the box. Returns whether it did.
    pub fn use_sandbox_by_default(&mut self, actor: &Actor) -> Result<bool> {
        actor.require(Permission::Providers)?;
        if !self.read(|_, tx| Ok(tx.providers()?))?.is_empty() {
            return Ok(false);
        }
        for provider in Provider::ALL.iter().copied() {
            let input = ProviderInput {
                name: Some(provider.as_str().to_owned()),
                base_url: Some(crate::sandbox::SANDBOX.to_owned()),
                ..Default::default()
            };
            self.set_provider(actor, &input)?;
        }
        Ok(true)
    }

    /// Delivers the outbox to the providers and reads results back. With `once`, returns when
    /// nothing is pending any more (needs-attention items wait for a person).
    pub fn sync_run(
        &self,
        actor: &Actor,
        provider: Option<&str>,
        once: bool,
        on_progress: impl FnMut(&dossier_sync::Progress),
    ) -> Result<SyncRunView> {
        actor.require(Permission::Sync)?;
        self.sync_run_with(provider, once, None, on_progress)
    }

    /// `sync run --once` that also stops waiting for retries after `deadline`.
    pub fn sync_run_for(
        &self,
        actor: &Actor,
        provider: Option<&str>,
        deadline: Option<StdDuration>,
        on_progress: impl FnMut(&dossier_sync::Progress),
    ) -> Result<SyncRunView> {
        actor.require(Permission::Sync)?;
        self.sync_run_with(provider, true, deadline, on_progress)
    }

    fn sync_run_with(
        &self,
        provider: Option<&str>,
        once: bool,
        deadline: Option<StdDuration>,
        on_progress: impl FnMut(&dossier_sync::Progress),
    ) -> Result<SyncRunView> {
        let provider = provider.map(parse_provider).transpose()?;
        // A sandbox provider needs the sandbox running: started here for the run when no process
        // hosts it yet (the CLI), stopped after the run.
        let uses_sandbox = self
            .read(|_, tx| Ok(tx.providers()?))?
            .iter()
            .any(|p| p.enabled && p.base_url == crate::sandbox::SANDBOX && provider.is_none_or(|o| o == p.provider));
        let mut _host = None;
        let sandbox_url = match self.running_sandbox() {
            Some(url) => url,
            None if uses_sandbox => match crate::sandbox::SandboxHost::start(&self.data_dir, &self.key)? {
                Some(host) => {
                    let url = host.url.clone();
                    _host = Some(host);
                    url
                }
                None => self.running_sandbox().unwrap_or_default(),
            },
            None => String::new(),
        };
        let configs = self.provider_configs(provider, &sandbox_url)?;
        if configs.is_empty() {
            return Err(Error::Unprocessable(
                Problem::new("no_providers", "no provider is enabled: add one with `dossier provider set`")
                    .with_reasons(vec![Reason::new("no_providers", "no provider is enabled")]),
            ));
        }
        let adapters =
            Adapters::new(configs).map_err(|e| Error::Unexpected(Problem::new("sync_unavailable", e.to_string())))?;
        // One worker per data directory: the lock lives as long as this run, and the OS drops it
        // if the process dies, so whatever a dead worker left in flight is an orphan.
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.data_dir.join("sync.lock"))
            .map_err(|e| {
                Error::Unexpected(Problem::new(
                    "sync_unavailable",
                    format!("the sync lock file cannot be opened: {}", e.kind()),
                ))
            })?;
        if lock.try_lock().is_err() {
            return Err(Error::Conflict(
                Problem::new("sync_running", "another sync run is working on this data directory: wait for it")
                    .with_reasons(vec![Reason::new("sync_running", "another sync run is in progress")]),
            ));
        }
        // The worker writes through its own connection, so this one stays free for reads. A
        // drain writes without pause: the log is folded back in the background (by this
        // process's checkpointer, or one started for the run), not in the worker's commits.
        let mut worker_app = self.reopen()?;
        worker_app.checkpoint_in_background()?;
        worker_app.write(|env, tx| Ok(tx.outbox_release_orphans(env.clock.now())?))?;
        let port = Arc::new(SyncPort { app: Mutex::new(worker_app), retry: RetryPolicy::default() });
        let options = RunOptions { provider, once, deadline, ..RunOptions::default() };
        let report = dossier_sync::run(port, Arc::new(adapters), options, on_progress)
            .map_err(|e| Error::Unexpected(Problem::new("sync_failed", e.to_string())))?;
        Ok(SyncRunView {
            delivered: report.progress.delivered,
            retried: report.progress.retried,
            needs_attention: report.progress.needs_attention,
            reconciled: report.progress.reconciled,
            stopped_early: report.stopped_early,
            status: self.outbox_status(false)?,
        })
    }
}

fn parse_outbox_id(raw: &str) -> Result<OutboxId> {
    OutboxId::parse(raw)
        .map_err(|_| Error::invalid_input(vec![Reason::field("id", "invalid_id", "id is not an outbox message id")]))
}

impl Env {
    /// Moves an outbox message to the status `decide` picks, in the caller's transaction.
    fn change_outbox(
        &self,
        tx: &Tx<'_>,
        actor: &Actor,
        id: OutboxId,
        reason: Option<Text>,
        action: &'static str,
        decide: impl FnOnce(&OutboxRow) -> Result<OutboxStatus>,
    ) -> Result<OutboxView> {
        let row = tx.outbox_message(id)?.ok_or_else(|| Error::not_found("outbox_message"))?;
        let now = self.clock.now();
        match decide(&row)? {
            OutboxStatus::Pending => tx.outbox_requeue(row.seq, now)?,
            _ => tx.outbox_discard(row.seq, now)?,
        }
        let summary = json!({"outbox_id": row.id.to_string(), "provider": row.provider.as_str(),
            "operation": row.operation.as_str(), "from": row.status.as_str()});
        self.audit(tx, actor, action, CustomerId::from_uuid(row.aggregate_id), reason, summary)?;
        Ok(outbox_view(&tx.outbox_message(id)?.ok_or_else(crate::customers::internal)?))
    }

    /// Discards a pending or needs-attention message in the caller's transaction (see
    /// [`Dossier::sync_discard`]).
    pub(crate) fn discard(&self, tx: &Tx<'_>, actor: &Actor, id: OutboxId, reason: Text) -> Result<OutboxView> {
        self.change_outbox(tx, actor, id, Some(reason), "sync.discard", |row| match row.status {
            OutboxStatus::NeedsAttention | OutboxStatus::Pending => Ok(OutboxStatus::Discarded),
            _ => Err(rule_error(
                "not_discardable",
                "only pending messages or messages that need attention can be discarded",
            )),
        })
    }
}

fn rule_error(code: &str, message: &str) -> Error {
    Error::Rule(Problem::new(code, message).with_reasons(vec![Reason::new(code, message)]))
}

fn provider_view(p: &ProviderRow, has_secret: bool) -> ProviderView {
    ProviderView {
        name: p.provider.as_str(),
        base_url: p.base_url.clone(),
        client_id: p.client_id.clone(),
        tenant: p.tenant.clone(),
        enabled: p.enabled,
        has_secret,
        updated_at: timestamp(p.updated_at),
    }
}

fn audit_settings(env: &Env, tx: &Tx<'_>, actor: &Actor, action: &'static str, summary: Value) -> Result<()> {
    tx.append_audit(&AuditEvent {
        id: AuditEventId::from_uuid(env.ids.next_id()),
        at: env.clock.now(),
        actor: actor.name().clone(),
        action,
        entity_kind: EntityKind::Settings,
        entity_id: Uuid::nil(),
        reason: None,
        summary: summary.to_string(),
    })?;
    Ok(())
}

/// The worker's view of the database: one connection behind a lock; every call is one short
/// transaction (a batch of results and the claim that refills the window share one).
struct SyncPort {
    app: Mutex<Dossier>,
    retry: RetryPolicy,
}

fn port_error(e: Error) -> PortError {
    PortError(e.to_string())
}

impl SyncPort {
    fn with<T>(&self, f: impl FnOnce(&mut Dossier) -> Result<T>) -> std::result::Result<T, PortError> {
        let mut app = self.app.lock().map_err(|_| PortError("the sync worker's database lock was poisoned".into()))?;
        f(&mut app).map_err(port_error)
    }

    /// Records a pass of results read back from a provider, as the `sync` process, in one
    /// transaction: what it records is all or nothing, and a pass that fails is read again whole
    /// on the next one (a verification is settled in the same transaction as its result).
    /// Returns how many changed anything.
    fn record_pass<T>(
        &self,
        remote: &[T],
        record: impl Fn(&Env, &Tx<'_>, &Actor, &T) -> Result<usize>,
    ) -> std::result::Result<usize, PortError> {
        if remote.is_empty() {
            return Ok(0);
        }
        let actor = Actor::process(UserName::parse("sync").map_err(|_| PortError("bad actor".into()))?);
        self.with(|app| {
            app.write(|env, tx| {
                let mut changed = 0;
                for r in remote {
                    changed += record(env, tx, &actor, r)?;
                }
                Ok(changed)
            })
        })
    }
}

impl OutboxPort for SyncPort {
    fn record_and_claim(
        &self,
        results: Vec<DeliveryResult>,
        provider: Option<Provider>,
        limit: usize,
    ) -> std::result::Result<Vec<Delivery>, PortError> {
        if results.is_empty() && limit == 0 {
            return Ok(Vec::new());
        }
        let retry = self.retry;
        self.with(|app| {
            app.write(|env, tx| {
                for r in results {
                    record_result(env, tx, retry, r)?;
                }
                claim(env, tx, provider, limit)
            })
        })
    }

    fn next_due_in(&self, provider: Option<Provider>) -> std::result::Result<Option<StdDuration>, PortError> {
        self.with(|app| {
            let next = app.read(|_, tx| Ok(tx.outbox_next_due(provider)?))?;
            let now = app.env.clock.now();
            Ok(next.map(|at| StdDuration::try_from((at - now).max(Duration::ZERO)).unwrap_or_default()))
        })
    }

    fn verifications_to_poll(&self) -> std::result::Result<Vec<(Uuid, String)>, PortError> {
        self.with(|app| app.read(|_, tx| Ok(tx.unsettled_remote_ids(Provider::Cybrid, "verification")?)))
    }

    fn customers_to_poll(&self, provider: Provider) -> std::result::Result<Vec<(Uuid, String)>, PortError> {
        self.with(|app| app.read(|_, tx| Ok(tx.customers_to_poll(provider, 100)?)))
    }

    fn record_customer_statuses(&self, remote: Vec<RemoteCustomer>) -> std::result::Result<usize, PortError> {
        self.record_pass(&remote, record_customer_status)
    }

    fn reconcile(&self, remote: Vec<RemoteVerification>) -> std::result::Result<usize, PortError> {
        self.record_pass(&remote, reconcile_one)
    }
}

/// Claims up to `limit` due messages (see [`Tx::claim_outbox`]) with the provider ids each one
/// refers to.
fn claim(env: &Env, tx: &Tx<'_>, provider: Option<Provider>, limit: usize) -> Result<Vec<Delivery>> {
    let claimed = tx.claim_outbox(provider, env.clock.now(), LEASE, limit)?;
    let mut out = Vec::with_capacity(claimed.len());
    for c in claimed {
        let row = c.row;
        let customer = CustomerId::from_uuid(row.aggregate_id);
        // A create makes the customer at the provider: there is no remote id to look up yet.
        let customer_remote_id = match row.operation {
            Operation::CustomerCreate => None,
            _ => tx.remote_id(row.provider, "customer", row.aggregate_id)?,
        };
        let mut mapped_siblings = Vec::new();
        if row.provider == Provider::Cybrid && row.operation != Operation::CustomerCreate {
            for v in tx.verifications_of(customer)? {
                mapped_siblings.extend(tx.remote_id(row.provider, "verification", *v.id.as_uuid())?);
            }
            mapped_siblings.extend(tx.remote_id(row.provider, "attestation", row.aggregate_id)?);
        }
        out.push(Delivery {
            seq: row.seq,
            provider: row.provider,
            operation: row.operation,
            aggregate_id: row.aggregate_id,
            subject_id: row.subject_id,
            // Parsed by the sender that delivers it, off this (the database's) thread.
            payload: dossier_sync::Payload::new(row.payload),
            idempotency_key: row.idempotency_key,
            maybe_sent: c.maybe_sent,
            customer_remote_id,
            mapped_siblings,
        });
    }
    Ok(out)
}

/// Records one delivery's result: done (with the provider ids it learned), another attempt
/// later, or needs attention.
fn record_result(env: &Env, tx: &Tx<'_>, retry: RetryPolicy, r: DeliveryResult) -> Result<()> {
    let now = env.clock.now();
    match r.result {
        Ok(delivered) => {
            for (kind, local, remote) in &delivered.mappings {
                tx.put_remote_id(r.provider, kind, *local, remote, now)?;
            }
            tx.outbox_done(r.seq, delivered.remote_id.as_deref(), now)?;
        }
        Err(e) => {
            let attempts = tx.outbox_attempts(r.seq)?.unwrap_or(0);
            // A draw in [0, 1) for the jitter, from the id source's random bits.
            let unit = (env.ids.next_id().as_u128() & 0xFFFF_FFFF) as f64 / 4_294_967_296.0;
            let retry_after = e.retry_after().and_then(|d| Duration::try_from(d).ok());
            let maybe = e.maybe_applied();
            match (e.is_retryable(), retry.next_attempt(attempts, now, unit, retry_after)) {
                (true, Some(next)) => tx.outbox_retry_at(r.seq, next, &e.to_string(), maybe, now)?,
                (true, None) => {
                    let error = format!("gave up after {attempts} attempts: {e}");
                    tx.outbox_needs_attention(r.seq, &error, maybe, now)?
                }
                (false, _) => tx.outbox_needs_attention(r.seq, &e.to_string(), maybe, now)?,
            }
        }
    }
    Ok(())
}

/// Feeds one remote verification into the local state machine. The remote result follows the
/// same steps a local one would; a remote outcome that contradicts a local decision becomes a
/// conflict case instead of overwriting it.
fn reconcile_one(env: &Env, tx: &Tx<'_>, actor: &Actor, r: &RemoteVerification) -> Result<usize> {
    let Some(mut v) = tx.verification(VerificationId::from_uuid(r.local_id))? else { return Ok(0) };
    let policy = policy::load(tx)?;
    let now = env.clock.now();
    let remote_outcome = r.outcome.as_deref().and_then(|o| Outcome::parse(o).ok());
    let remote_final = matches!(r.state.as_str(), "completed" | "expired");
    let mut changed = 0;
    match (&v.state, r.state.as_str(), remote_outcome) {
        (VerificationState::Completed { outcome, .. }, "completed", Some(remote)) if *outcome != remote => {
            let conflict = dossier_store::ConflictRow {
                id: ConflictId::from_uuid(env.ids.next_id()),
                customer_id: v.customer_id,
                verification_id: Some(v.id),
                provider: Provider::Cybrid,
                local_value: outcome.as_str().to_owned(),
                remote_value: remote.as_str().to_owned(),
                status: "open".into(),
                created_at: now,
            };
            tx.insert_conflict(&conflict)?;
            let summary = json!({"conflict_id": conflict.id.to_string(), "verification_id": v.id.to_string(),
                "provider": "cybrid", "local": outcome.as_str(), "remote": remote.as_str()});
            env.audit(tx, actor, "sync.conflict", v.customer_id, None, summary)?;
            changed += 1;
        }
        (state, remote_state, remote) if state.in_progress() => {
            // Walk the local machine towards the remote state, one documented step at a time.
            let path: &[&str] = match (state.name(), remote_state) {
                ("storing", "waiting") => &["waiting"],
                ("storing", "pending") => &["waiting", "pending"],
                ("storing", "reviewing") => &["waiting", "pending", "reviewing"],
                ("waiting", "pending") => &["pending"],
                ("waiting", "reviewing") => &["pending", "reviewing"],
                ("pending", "reviewing") => &["reviewing"],
                ("storing" | "waiting", "expired") => &["expired"],
                ("pending", "expired") => &["expired"],
                (_, "completed") => &["completed"],
                _ => &[],
            };
            for to in path {
                let step = if *to == "completed" {
                    let codes = r.failure_codes.iter().filter_map(|c| FailureCodeValue::parse(c).ok()).collect();
                    let Some(outcome) = remote else { break };
                    // The provider completed it; from a state our machine cannot complete from,
                    // it is recorded as the provider's decision.
                    match v.state {
                        VerificationState::Pending | VerificationState::Reviewing => {
                            VerificationStep::Complete { outcome, failure_codes: codes }
                        }
                        VerificationState::Storing if v.method.is_non_interactive() => {
                            VerificationStep::Complete { outcome, failure_codes: codes }
                        }
                        _ => VerificationStep::Decide { outcome, failure_codes: codes },
                    }
                } else if *to == "expired" {
                    if matches!(v.state, VerificationState::Storing) {
                        v.state = v
                            .apply(VerificationStep::Wait, now)
                            .map_err(|e| Error::Unexpected(Problem::new(e.code(), e.to_string())))?;
                    }
                    VerificationStep::Expire
                } else {
                    match VerificationStep::towards(to, None, vec![]) {
                        Some(step) => step,
                        None => break,
                    }
                };
                let Ok(next) = v.apply(step, now) else { break };
                let from = v.state.name();
                v.state = next;
                let effects = env.after_completion(tx, &policy, actor, &mut v)?;
                v.updated_at = now;
                tx.update_verification(&v)?;
                let summary = json!({"verification_id": v.id.to_string(), "from": from, "to": v.state.name(),
                    "outcome": v.state.outcome().map(Outcome::as_str), "provider": "cybrid", "effects": effects});
                env.audit(tx, actor, "sync.verification_result", v.customer_id, None, summary)?;
                changed += 1;
            }
            if changed > 0 {
                env.refresh_derived(tx, &policy, v.customer_id)?;
            }
        }
        _ => {}
    }
    if remote_final {
        tx.settle_remote_id(Provider::Cybrid, "verification", r.local_id)?;
    }
    Ok(changed)
}

/// Stores what a provider now says of a customer when it changed; a Qolo KYC response's new
/// results (with their out-of-wallet questions) become KYC results like any other.
fn record_customer_status(env: &Env, tx: &Tx<'_>, actor: &Actor, r: &RemoteCustomer) -> Result<usize> {
    let customer = CustomerId::from_uuid(r.local_id);
    if tx.customer(customer)?.is_none() {
        return Ok(0);
    }
    let previous = tx.provider_statuses_of(customer)?.into_iter().find(|(p, ..)| *p == r.provider);
    let detail = r.detail.to_string();
    if previous.as_ref().is_some_and(|(_, status, old, _)| *status == r.status && *old == detail) {
        return Ok(0);
    }
    if r.provider == Provider::Qolo {
        let seen = previous
            .as_ref()
            .and_then(|(_, _, old, _)| serde_json::from_str::<Value>(old).ok())
            .and_then(|old| old["verificationResults"].as_array().map(Vec::len))
            .unwrap_or(0);
        let results = r.detail["verificationResults"].as_array().cloned().unwrap_or_default();
        for result in results.iter().skip(seen) {
            crate::kyc::record_provider_result(env, tx, actor, customer, &r.detail, result)?;
        }
    }
    tx.put_provider_status(r.provider, customer, &r.status, &detail, env.clock.now())?;
    let summary = json!({"provider": r.provider.as_str(), "status": r.status,
        "from": previous.map(|(_, status, ..)| status)});
    env.audit(tx, actor, "sync.provider_status", customer, None, summary)?;
    Ok(1)
}
