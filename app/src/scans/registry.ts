import type { Connector, Provider } from "../connectors/connector.js";
import { demoConnector } from "../connectors/demo/connector.js";
import { githubConnector } from "../connectors/github/connector.js";
import { jiraConnector } from "../connectors/jira/connector.js";

/** The connectors this build can scan with. */
export type ConnectorRegistry = ReadonlyMap<Provider, Connector>;

export const CONNECTORS: ConnectorRegistry = new Map<Provider, Connector>([demoConnector, githubConnector, jiraConnector].map((connector) => [connector.provider, connector]));
