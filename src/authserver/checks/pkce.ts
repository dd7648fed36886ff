/** RFC 7636 §4.2: code_challenge is base64url without padding, 43–128 characters. */
export const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43,128}$/;
/** RFC 7636 §4.1: code_verifier uses unreserved characters, 43–128 characters. */
export const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
