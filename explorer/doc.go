// Package explorer is the node's read-only block explorer: server-rendered
// HTML pages of the chain, the mempool and the peers, served under /explorer/
// on the RPC listener when the node runs with --explorer.
//
// Pages are html/template files and static assets embedded in the binary;
// the browser makes no request outside the node. A small script keeps the
// home page current from /explorer/events, a server-sent event stream of
// the node's events that needs no cookie (it carries only what the pages
// show). Every response carries a Content-Security-Policy that allows only
// the node itself, and bad input gets a plain 400 or 404 page.
//
// The package reads the node through the narrow interfaces of source.go,
// which the node implements; it does not import the node.
package explorer
