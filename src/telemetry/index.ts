export { createLogger, REDACTED_FIELDS, type CreateLoggerOptions, type Logger } from './logger.ts';
export { createAuditLogger, type AuditLogger, type AuditEvent, type AuditEventName, type AuditOutcome } from './audit.ts';
export { hashForLog } from './hash-for-log.ts';
export { createMetrics, type AuthServerMetrics } from './metrics.ts';
