/** Closed set of configuration failure codes (conventions §5); messages are one line. */
export type ConfigErrorCode = 'file_unreadable' | 'invalid_json' | 'invalid_config' | 'secret_unreadable';

export class ConfigError extends Error {
  constructor(
    readonly code: ConfigErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}
