package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// Client calls a node's RPC.
type Client struct {
	URL      string
	Password string
	HTTP     *http.Client
}

// DefaultTimeout bounds calls other than Generate.
const DefaultTimeout = 30 * time.Second

// NewClient returns a client for the RPC at url authenticating with the cookie password.
func NewClient(url, password string) *Client {
	return &Client{URL: url, Password: password, HTTP: &http.Client{}}
}

// ClientFromDatadir reads a running node's node.json and rpc.cookie.
func ClientFromDatadir(dir string) (*Client, error) {
	data, err := os.ReadFile(filepath.Join(dir, "node.json"))
	if err != nil {
		return nil, fmt.Errorf("no running node found in %s (node.json missing: start it with `node run --datadir %s`): %w", dir, dir, err)
	}
	var info struct {
		RPCURL string `json:"rpc_url"`
	}
	if err := json.Unmarshal(data, &info); err != nil || info.RPCURL == "" {
		return nil, fmt.Errorf("%s/node.json is malformed (restart the node with `node run --datadir %s` to rewrite it)", dir, dir)
	}
	password, err := ReadCookie(filepath.Join(dir, "rpc.cookie"))
	if err != nil {
		return nil, err
	}
	return NewClient(info.RPCURL, password), nil
}

// ClientFromFlags builds a client from --rpc and --rpc-cookie when given,
// else from --datadir.
func ClientFromFlags(datadir, rpcURL, cookieFile string) (*Client, error) {
	switch {
	case rpcURL != "" || cookieFile != "":
		if rpcURL == "" || cookieFile == "" {
			return nil, errors.New("--rpc and --rpc-cookie go together; pass both, or --datadir of the node")
		}
		if u, err := url.Parse(rpcURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--rpc wants the node's RPC URL such as http://127.0.0.1:19443 (the rpc_url in its node.json), got %q", rpcURL)
		}
		password, err := ReadCookie(cookieFile)
		if err != nil {
			return nil, err
		}
		return NewClient(rpcURL, password), nil
	case datadir != "":
		return ClientFromDatadir(datadir)
	}
	return nil, errors.New("say which node to talk to: --datadir DIR of a running node, or --rpc URL --rpc-cookie FILE")
}

func (c *Client) do(ctx context.Context, method, path string, body, out any, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	status, data, err := c.send(ctx, method, path, payload)
	// A rate-limited request is retried a few times with growing pauses.
	for wait := 50 * time.Millisecond; err == nil && status == http.StatusTooManyRequests && wait <= 2*time.Second; wait *= 2 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		status, data, err = c.send(ctx, method, path, payload)
	}
	if err != nil {
		return err
	}
	if status/100 != 2 {
		var eb ErrorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
			return &Error{Status: status, Code: "http_" + fmt.Sprint(status), Message: string(bytes.TrimSpace(data))}
		}
		eb.Error.Status = status
		return &eb.Error
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("malformed rpc response: %w", err)
	}
	return nil
}

// send makes one HTTP request and returns the status and body.
func (c *Client) send(ctx context.Context, method, path string, payload []byte) (int, []byte, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("rpc request: %w", err)
	}
	req.SetBasicAuth(CookieUser, c.Password)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("node not reachable at %s (is it running?): %w", c.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("read rpc response: %w", err)
	}
	return resp.StatusCode, data, nil
}

// Status calls GET /v1/status.
func (c *Client) Status(ctx context.Context) (*StatusResult, error) {
	var out StatusResult
	return &out, c.do(ctx, http.MethodGet, PathStatus, nil, &out, DefaultTimeout)
}

// Generate mines blocks on a regtest node; it has no timeout of its own.
func (c *Client) Generate(ctx context.Context, req GenerateRequest) (*GenerateResult, error) {
	var out GenerateResult
	return &out, c.do(ctx, http.MethodPost, PathGenerate, req, &out, 0)
}

// Block fetches a block by height or hash.
func (c *Client) Block(ctx context.Context, id string) (*BlockResult, error) {
	var out BlockResult
	return &out, c.do(ctx, http.MethodGet, PathBlock+url.PathEscape(id), nil, &out, DefaultTimeout)
}

// Tx fetches a transaction by id.
func (c *Client) Tx(ctx context.Context, id string) (*TxResult, error) {
	var out TxResult
	return &out, c.do(ctx, http.MethodGet, PathTx+url.PathEscape(id), nil, &out, DefaultTimeout)
}

// Peers lists connected peers.
func (c *Client) Peers(ctx context.Context) (*PeersResult, error) {
	var out PeersResult
	return &out, c.do(ctx, http.MethodGet, PathPeers, nil, &out, DefaultTimeout)
}

// SendRaw submits a signed transaction.
func (c *Client) SendRaw(ctx context.Context, req SendRawRequest) (*SendRawResult, error) {
	var out SendRawResult
	return &out, c.do(ctx, http.MethodPost, PathSendRaw, req, &out, DefaultTimeout)
}

// Scan asks for the outputs and history of keys.
func (c *Client) Scan(ctx context.Context, req ScanRequest) (*ScanResult, error) {
	var out ScanResult
	return &out, c.do(ctx, http.MethodPost, PathScan, req, &out, DefaultTimeout)
}

// FeeRate asks for the suggested fee rate.
func (c *Client) FeeRate(ctx context.Context) (*FeeRateResult, error) {
	var out FeeRateResult
	return &out, c.do(ctx, http.MethodGet, PathFeeRate, nil, &out, DefaultTimeout)
}
