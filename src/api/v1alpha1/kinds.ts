/** API group, version and kinds of this project's CRDs (spec §3). */
import type { TSchema } from '@sinclair/typebox';
import { MCPAuthServerSchema } from './schema/mcpauthserver.ts';
import { MCPExternalAuthConfigSchema } from './schema/mcpexternalauthconfig.ts';
import { MCPServerSchema } from './schema/mcpserver.ts';

export const GROUP = 'toolhive.stacklok.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}` as const;

export type KindName = 'MCPAuthServer' | 'MCPExternalAuthConfig' | 'MCPServer';

export interface KindInfo {
  kind: KindName;
  plural: string;
  singular: string;
  listKind: string;
  shortNames: string[];
  schema: TSchema;
}

/** The three kinds, with their names as the CRDs declare them. */
export const KINDS: Readonly<Record<KindName, KindInfo>> = {
  MCPAuthServer: {
    kind: 'MCPAuthServer',
    plural: 'mcpauthservers',
    singular: 'mcpauthserver',
    listKind: 'MCPAuthServerList',
    shortNames: ['mcpas'],
    schema: MCPAuthServerSchema,
  },
  MCPExternalAuthConfig: {
    kind: 'MCPExternalAuthConfig',
    plural: 'mcpexternalauthconfigs',
    singular: 'mcpexternalauthconfig',
    listKind: 'MCPExternalAuthConfigList',
    shortNames: ['extauth', 'mcpextauth'],
    schema: MCPExternalAuthConfigSchema,
  },
  MCPServer: {
    kind: 'MCPServer',
    plural: 'mcpservers',
    singular: 'mcpserver',
    listKind: 'MCPServerList',
    shortNames: ['mcps'],
    schema: MCPServerSchema,
  },
};

/**
 * Whether `kind` is one of ours.
 *
 * @example
 * isKindName('MCPServer') // true
 * isKindName('Pod') // false
 */
export function isKindName(kind: unknown): kind is KindName {
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(KINDS, kind);
}
