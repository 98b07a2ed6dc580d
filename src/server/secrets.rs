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

/// `bytes` random bytes in hex. The OS random source failing is an
/// outage, answered as one, never a panic in a request.
pub fn random_token(bytes: usize) -> Result<String, AppError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| {
        tracing::error!(error = %e, "the OS random source failed");
        AppError::Internal
    })?;
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
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS random source is available");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
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
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut random = [0u8; 20];
    getrandom::fill(&mut random).expect("the OS random source is available");
    random
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
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
        let hash = hash_password("correct horse battery staple");
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
        assert_eq!(generate_password().len(), 20);
    }
}
