import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Field names whose values are secrets wherever they appear (spec §6.3 "Never logged"). pino's
 * redaction runs on every log call, so a handler that logs a whole params object by mistake
 * still does not leak a token.
 */
export const REDACTED_FIELDS = [
  'access_token',
  'refresh_token',
  'id_token',
  'subject_token',
  'actor_token',
  'token',
  'code',
  'code_verifier',
  'client_secret',
  'password',
  'authorization',
  'cookie',
  'tsid',
  'private_key',
  'key',
  'secret',
];

// Top level and one level down (`{ params: { code } }`): deeper wildcards cost a few percent of
// a token request in pino's redaction, and nothing here logs deeper objects.
const REDACT_PATHS = [...REDACTED_FIELDS, ...REDACTED_FIELDS.map((f) => `*.${f}`), 'req.headers.authorization', 'req.headers.cookie'];

export interface CreateLoggerOptions {
  level?: string;
  /** Where lines go (tests pass a stream to inspect them). Default stdout. */
  destination?: DestinationStream;
  name?: string;
}

/**
 * JSON logger with secret redaction.
 *
 * @example
 * const log = createLogger({ level: 'info' });
 * log.info({ client_id: 'abc', code: 'secret' }, 'issued'); // code is written as "[redacted]"
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      name: options.name ?? 'mcp-authserver',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

export type { Logger };
