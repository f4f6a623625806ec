/** A configuration value is missing or wrong; the message names the variable and what it expects. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
