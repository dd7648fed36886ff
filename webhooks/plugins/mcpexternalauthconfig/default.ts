import { apiDefaulter } from '../lib/api-defaulter.ts';

/** `/mutate-mcpexternalauthconfig`: the defaults of spec §3 as a JSON Patch (see apiDefaulter). */
export const mcpExternalAuthConfigDefaulter = apiDefaulter('MCPExternalAuthConfig');
