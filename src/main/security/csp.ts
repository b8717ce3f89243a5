// The renderer's Content Security Policy: its own scripts and styles only, no eval, no inline code,
// no remote origins. Sent as a header by main and injected as a <meta> tag at build time, so the
// same policy holds in the app and in the browser tests.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
