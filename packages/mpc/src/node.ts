/**
 * `@zrkit/mpc/node`: the Node-only parts of the MPC federation: the network relay server for party
 * messages ({@link serveRelay}, over the `ws` package). The relay client, `connectRelay`, is in the main
 * entry since it runs in browsers too.
 * @packageDocumentation
 */
export { serveRelay, type RelayPartyStats, type RelayServer, type RelayServerEvent, type RelayStatus, type ServeRelayOptions } from './transport/relayServer.js'
