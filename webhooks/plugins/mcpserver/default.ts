import { apiDefaulter } from '../lib/api-defaulter.ts';

/** `/mutate-mcpserver`: the defaults of spec §3 as a JSON Patch (see apiDefaulter). */
export const mcpServerDefaulter = apiDefaulter('MCPServer');
