/**
 * Whose requests a caller sees: the name of its API key, or OPEN_OWNER when the service runs without
 * API_KEYS (everyone is one client then). Every request is stored with its owner, and looked up with it.
 */
export type Owner = string;

export const OPEN_OWNER: Owner = '';
