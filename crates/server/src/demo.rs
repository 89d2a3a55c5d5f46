//! Demo data of a first start, and the banner that tells a person where to click.
//!
//! On the very first start the instance gets an admin account with a generated password
//! (printed once; only its Argon2id hash is stored), a "Demo meeting" and an invite to it.
//! Later starts print the URL and the invite again, but not the password.

use crate::api::meetings::new_invite_code;
use crate::passwords;
use plenum_protocol::{AccountRole, DEFAULT_TENANT};
use plenum_store::{NewInvite, NewMeeting, NewUser, Store, StoreError};
use rand::distr::{Alphanumeric, SampleString as _};
use time::OffsetDateTime;

/// Settings key set once the demo data exists.
pub const DEMO_CREATED: &str = "demo_created";
/// Settings key holding the demo invite code.
pub const DEMO_INVITE: &str = "demo_invite_code";
pub const ADMIN_USERNAME: &str = "admin";
pub const DEMO_TITLE: &str = "Demo meeting";

/// What the banner shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Demo {
    /// Set only on the start that created the admin account.
    pub admin_password: Option<String>,
    /// The demo invite code, if it still admits guests.
    pub invite_code: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] passwords::PasswordError),
}

/// Creates the demo data if this database has none yet; reports what to print.
pub async fn ensure(store: &Store, now: OffsetDateTime) -> Result<Demo, DemoError> {
    if store.setting(DEMO_CREATED).await?.is_some() {
        let invite_code = match store.setting(DEMO_INVITE).await? {
            Some(code) => match store.active_invite(&code, now).await {
                Ok(_) => Some(code),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        return Ok(Demo {
            admin_password: None,
            invite_code,
        });
    }
    let password = Alphanumeric.sample_string(&mut rand::rng(), 20);
    let hash = passwords::hash(password.clone()).await?;
    let admin = match store
        .create_user(
            NewUser {
                username: ADMIN_USERNAME.into(),
                display_name: "Administrator".into(),
                password_hash: hash.clone(),
                role: AccountRole::InstanceAdmin,
                tenant_id: DEFAULT_TENANT.into(),
            },
            now,
        )
        .await
    {
        Ok(user) => user,
        // A previous first start stopped half-way: its password was never shown as
        // valid, so the account takes the new one.
        Err(StoreError::Conflict(_)) => {
            let user = store.user_by_username(ADMIN_USERNAME).await?;
            store.set_password_hash(user.id, &hash).await?;
            user
        }
        Err(e) => return Err(e.into()),
    };
    let meeting = store
        .create_meeting(
            NewMeeting {
                owner_id: admin.id,
                title: DEMO_TITLE.into(),
                password_hash: None,
                waiting_room: false,
                description: String::new(),
                starts_at: None,
            },
            now,
        )
        .await?;
    let invite = store
        .create_invite(
            NewInvite {
                code: new_invite_code(),
                meeting_id: meeting.id,
                expires_at: None,
            },
            now,
        )
        .await?;
    store.set_setting(DEMO_INVITE, &invite.code).await?;
    store
        .set_setting(DEMO_CREATED, &crate::api::rfc3339(now))
        .await?;
    Ok(Demo {
        admin_password: Some(password),
        invite_code: Some(invite.code),
    })
}

/// The banner printed once the server listens. Browser tests parse its three indented
/// lines, so their labels and padding are fixed.
pub fn banner(public_url: &str, demo: &Demo) -> String {
    let admin = match &demo.admin_password {
        Some(password) => format!("{ADMIN_USERNAME} / {password}"),
        None => format!("{ADMIN_USERNAME} / (password printed at first start)"),
    };
    let invite = match &demo.invite_code {
        Some(code) => format!("{public_url}/j/{code}"),
        None => "(the demo invite was revoked)".to_owned(),
    };
    format!(
        "\nPlenum is ready.\n\n  Web UI:        {public_url}\n  Admin login:   {admin}\n  Guest invite:  {invite}\n\n"
    )
}
