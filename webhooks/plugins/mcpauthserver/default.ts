import { apiDefaulter } from '../lib/api-defaulter.ts';

/** `/mutate-mcpauthserver`: the defaults of spec §3 as a JSON Patch (see apiDefaulter). */
export const mcpAuthServerDefaulter = apiDefaulter('MCPAuthServer');
