/** The agent's version order is the shared one (the dashboard marks older agents by it too). */
export { isNewer } from '../../shared/version/is-newer.ts';
