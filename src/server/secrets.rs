//! The secrets Igniflo keeps, and how: random tokens stored only as their
//! SHA-256, passwords as argon2id hashes, comparisons in constant time.
//! Pure functions, known to the service and to the HTTP doors alike.

use crate::domain::{AppError, Timestamp};
use sha2::{Digest, Sha256};

/// How long an admin stays signed in.
pub const SESSION_HOURS: i64 = 12;

/// SHA-256 in hex: how session and tracking tokens are stored and looked up.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Fills `bytes` from the OS random source. Its failing is an outage,
/// answered as one, never a panic in a request.
fn fill_random(bytes: &mut [u8]) -> Result<(), AppError> {
    getrandom::fill(bytes).map_err(|e| {
        tracing::error!(error = %e, "the OS random source failed");
        AppError::Internal
    })
}

/// `N` random bytes.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], AppError> {
    let mut bytes = [0u8; N];
    fill_random(&mut bytes)?;
    Ok(bytes)
}

/// `bytes` random bytes in hex.
pub fn random_token(bytes: usize) -> Result<String, AppError> {
    let mut buf = vec![0u8; bytes];
    fill_random(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Constant-time comparison, so timing does not reveal how much matched.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Argon2id with the crate's default (OWASP) parameters.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let failed = |e: argon2::password_hash::Error| {
        tracing::error!(error = %e, "hashing a password failed");
        AppError::Internal
    };
    let salt = SaltString::encode_b64(&random_bytes::<16>()?).map_err(failed)?;
    let hash = argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(failed)?;
    Ok(hash.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .map(|parsed| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A password for a first start with none configured: 20 characters from a
/// 57-letter alphabet without look-alikes, about 116 bits.
pub fn generate_password() -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    Ok(random_bytes::<20>()?
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

/// Session tokens expire; this is when a new one does.
pub fn session_expiry_from(now: Timestamp) -> Timestamp {
    Timestamp::from_millis(now.millis() + SESSION_HOURS * 3_600_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (random_token(16).unwrap(), random_token(16).unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert_eq!(token_hash("abc").len(), 64);
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd"));
        assert_eq!(generate_password().unwrap().len(), 20);
    }
}
