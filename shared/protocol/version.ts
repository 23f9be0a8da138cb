/** The wire protocol's version; an agent speaking another version is refused at `hello`. */
export const PROTOCOL_VERSION = 1;
