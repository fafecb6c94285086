// Which config keys hold secrets. `<key>_file` reads the secret from a file at load, and every
// output that shows config (logs, API) redacts these keys.
export const SECRET_KEYS = new Set([
  'password',
  'bearer_token',
  'token',
  'api_key',
  'app_key',
  'routing_key',
  'service_key',
  'url',
  'api_url',
  'webhook_url',
  'auth_password',
]);

