// The streaming benchmark's load client (bench/streaming.py): many SSE connections held open,
// and, while they are held, posts sent at a fixed rate and home feeds polled, all timed on this
// machine's clock. Not Python on purpose: the client must not be the bottleneck it measures, and
// Go holds thousands of connections in goroutines at little cost. Standard library only.
//
//	streaming_client -stream-url http://127.0.0.1:8766/api/socialapp/v1/stream -tokens readers.txt \
//	    -connections 2000 -hold 60s -post-url http://127.0.0.1:8765/api/socialapp/v1/posts \
//	    -post-tokens authors.txt -post-rate 100 -post-duration 50s -out result.json -wait-stdin
//
// Phases: (1) open -connections SSE connections (token i of the file for connection i, cycling),
// at most -connect-concurrency at a time, each timed from dial to response headers; (2) print
// "READY {json}" and, with -wait-stdin, wait for a line on stdin (the caller measures the idle
// server meanwhile); (3) for -hold: post at -post-rate for -post-duration (open loop: a post is
// started on schedule whatever the previous ones take), poll the -poll-url feeds every
// -poll-interval, and record every SSE event. Each `update` event's arrival is kept as
// [connection, status id, unix ns]. Then every connection is closed and the JSON written.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type Arrival struct {
	Conn int
	ID   string
	NS   int64
}

func (a Arrival) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("[%d,%q,%d]", a.Conn, a.ID, a.NS)), nil
}

type Post struct {
	Seq         int    `json:"seq"` // the author is token seq % len(authors)
	ID          string `json:"id"`
	CreatedAt   string `json:"created_at"`
	SentNS      int64  `json:"sent_ns"`
	RespondedNS int64  `json:"responded_ns"`
	Status      int    `json:"status"`
	Error       string `json:"error,omitempty"`
}

type Result struct {
	Connections    int               `json:"connections"`
	Opened         int               `json:"opened"`
	Failed         int               `json:"failed"`
	FailureKinds   map[string]int    `json:"failure_kinds"`
	Dropped        int               `json:"dropped"`
	DropKinds      map[string]int    `json:"drop_kinds"`
	ConnectMS      []float64         `json:"connect_ms"`
	ConnectPhaseMS float64           `json:"connect_phase_ms"`
	HeldSeconds    float64           `json:"held_seconds"`
	Events         map[string]int64  `json:"events"`
	Heartbeats     int64             `json:"heartbeats"`
	Malformed      int64             `json:"malformed"`
	Arrivals       []Arrival         `json:"arrivals"`
	Posts          []Post            `json:"posts"`
	PostsSkipped   int64             `json:"posts_skipped"`
	PollFirstSeen  map[string]int64  `json:"poll_first_seen_ns"`
	Polls          int64             `json:"polls"`
	PollErrors     int64             `json:"poll_errors"`
	PostStartedNS  int64             `json:"post_started_ns"`
	PostEndedNS    int64             `json:"post_ended_ns"`
	OpenAtEnd      int               `json:"open_at_end"`
	Flags          map[string]string `json:"flags"`
}

func readTokens(path string) []string {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		fail("reading %s: %v", path, err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		fail("no tokens in %s", path)
	}
	return out
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "streaming_client: "+format+"\n", args...)
	os.Exit(2)
}

// statusID finds the status id (and created_at) of an update event's data: a status object at
// the top (Mastodon) or under one of a few wrapper keys (our API's envelope).
func statusID(data []byte) (string, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return "", false
	}
	if id, ok := stringField(top, "id"); ok {
		return id, true
	}
	for _, key := range []string{"post", "status", "payload", "data", "object"} {
		var inner map[string]json.RawMessage
		if raw, ok := top[key]; ok && json.Unmarshal(raw, &inner) == nil {
			if id, ok := stringField(inner, "id"); ok {
				return id, true
			}
		}
	}
	return "", false
}

func stringField(m map[string]json.RawMessage, key string) (string, bool) {
	raw, ok := m[key]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	return "", false
}

type collector struct {
	mu         sync.Mutex
	arrivals   []Arrival
	events     map[string]int64
	heartbeats atomic.Int64
	malformed  atomic.Int64
}

func (c *collector) event(conn int, name string, data []byte, at int64) {
	var id string
	ok := false
	if name == "update" {
		id, ok = statusID(data)
		if !ok {
			c.malformed.Add(1)
		}
	}
	c.mu.Lock()
	c.events[name]++
	if ok {
		c.arrivals = append(c.arrivals, Arrival{conn, id, at})
	}
	c.mu.Unlock()
}

// read parses an SSE stream (LF line endings, `event:` / `data:` fields, `:` comments) until it
// ends; returns why it ended.
func read(conn int, body io.Reader, col *collector) error {
	r := bufio.NewReaderSize(body, 64<<10)
	var name string
	var data bytes.Buffer
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// a very long data line: gather it whole
			rest, err2 := r.ReadBytes('\n')
			line = append(append([]byte{}, line...), rest...)
			err = err2
		}
		if err != nil {
			return err
		}
		at := time.Now().UnixNano()
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			if name != "" || data.Len() > 0 {
				if name == "" {
					name = "message"
				}
				col.event(conn, name, data.Bytes(), at)
			}
			name = ""
			data.Reset()
		case line[0] == ':':
			col.heartbeats.Add(1)
		default:
			field, value, _ := bytes.Cut(line, []byte(":"))
			value = bytes.TrimPrefix(value, []byte(" "))
			switch string(field) {
			case "event":
				name = string(value)
			case "data":
				if data.Len() > 0 {
					data.WriteByte('\n')
				}
				data.Write(value)
			}
		}
	}
}

func main() {
	streamURL := flag.String("stream-url", "", "SSE endpoint")
	tokensPath := flag.String("tokens", "", "bearer tokens of the stream readers, one a line")
	connections := flag.Int("connections", 100, "SSE connections to hold")
	concurrency := flag.Int("connect-concurrency", 100, "connections being opened at once")
	hold := flag.Duration("hold", 60*time.Second, "how long the connections are held after READY")
	postURL := flag.String("post-url", "", "POST endpoint for new statuses (empty: no posts)")
	postTokens := flag.String("post-tokens", "", "bearer tokens of the authors, rotated post by post")
	postRate := flag.Float64("post-rate", 100, "posts per second")
	postDuration := flag.Duration("post-duration", 50*time.Second, "how long to post, from READY")
	postInFlight := flag.Int("post-in-flight", 64, "posts outstanding at most; a post due beyond is skipped and counted")
	postBody := flag.String("post-body", `{"body": "streaming bench %d", "visibility": "public"}`, "JSON body, %d = sequence")
	pollURL := flag.String("poll-url", "", "home feed URL polled by -poll-tokens' readers (empty: no polling)")
	pollTokens := flag.String("poll-tokens", "", "bearer tokens of the polling readers")
	pollInterval := flag.Duration("poll-interval", 100*time.Millisecond, "each poller's interval")
	outPath := flag.String("out", "", "result JSON (default stdout)")
	waitStdin := flag.Bool("wait-stdin", false, "after READY, wait for a line on stdin before the hold starts")
	flag.Parse()
	if *streamURL == "" || *tokensPath == "" {
		fail("-stream-url and -tokens are required")
	}
	tokens := readTokens(*tokensPath)
	flags := map[string]string{}
	flag.VisitAll(func(f *flag.Flag) { flags[f.Name] = f.Value.String() })

	streamTransport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConnsPerHost: -1,
		DisableCompression:  true,
		DisableKeepAlives:   true, // one TCP connection per stream
	}
	streamClient := &http.Client{Transport: streamTransport}
	ctx, cancel := context.WithCancel(context.Background())
	col := &collector{events: map[string]int64{}}
	res := Result{Connections: *connections, FailureKinds: map[string]int{}, DropKinds: map[string]int{}, Flags: flags}

	// Phase 1: open.
	var mu sync.Mutex
	var open sync.WaitGroup
	var streams sync.WaitGroup
	alive := make([]atomic.Bool, *connections)
	ended := make([]atomic.Bool, *connections)
	var endKinds sync.Map
	connectMS := make([]float64, 0, *connections)
	slots := make(chan struct{}, *concurrency)
	phase := time.Now()
	for i := 0; i < *connections; i++ {
		open.Add(1)
		slots <- struct{}{}
		go func(i int) {
			defer func() { <-slots }()
			req, _ := http.NewRequestWithContext(ctx, "GET", *streamURL, nil)
			req.Header.Set("Authorization", "Bearer "+tokens[i%len(tokens)])
			req.Header.Set("Accept", "text/event-stream")
			started := time.Now()
			resp, err := streamClient.Do(req)
			mu.Lock()
			if err != nil {
				res.Failed++
				res.FailureKinds[kind(err)]++
			} else if resp.StatusCode != 200 {
				res.Failed++
				res.FailureKinds[fmt.Sprintf("http_%d", resp.StatusCode)]++
				resp.Body.Close()
			} else {
				res.Opened++
				connectMS = append(connectMS, float64(time.Since(started).Microseconds())/1000)
			}
			mu.Unlock()
			open.Done()
			if err != nil || resp.StatusCode != 200 {
				return
			}
			alive[i].Store(true)
			streams.Add(1)
			go func() {
				defer streams.Done()
				defer resp.Body.Close()
				err := read(i, resp.Body, col)
				alive[i].Store(false)
				if ctx.Err() == nil { // ended before we closed it: dropped by the server or the network
					ended[i].Store(true)
					endKinds.Store(i, kind(err))
				}
			}()
		}(i)
	}
	open.Wait()
	res.ConnectPhaseMS = float64(time.Since(phase).Microseconds()) / 1000
	sort.Float64s(connectMS)
	res.ConnectMS = connectMS
	ready, _ := json.Marshal(map[string]any{"opened": res.Opened, "failed": res.Failed, "failure_kinds": res.FailureKinds,
		"connect_phase_ms": res.ConnectPhaseMS})
	fmt.Printf("READY %s\n", ready)
	os.Stdout.Sync()
	if *waitStdin {
		bufio.NewReader(os.Stdin).ReadString('\n')
	}

	// Phase 3: hold, posting and polling meanwhile.
	holdStart := time.Now()
	var workers sync.WaitGroup
	var posts []Post
	var postsMu sync.Mutex
	var skipped atomic.Int64
	if *postURL != "" {
		authors := readTokens(*postTokens)
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *postInFlight, MaxConnsPerHost: *postInFlight}}
		inFlight := make(chan struct{}, *postInFlight)
		workers.Add(1)
		go func() {
			defer workers.Done()
			res.PostStartedNS = time.Now().UnixNano()
			interval := time.Duration(float64(time.Second) / *postRate)
			due := time.Now()
			var sent sync.WaitGroup
			for seq := 0; time.Since(holdStart) < *postDuration; seq++ {
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				due = due.Add(interval)
				select {
				case inFlight <- struct{}{}:
				default:
					skipped.Add(1)
					continue
				}
				sent.Add(1)
				go func(seq int) {
					defer sent.Done()
					defer func() { <-inFlight }()
					p := postOnce(client, *postURL, authors[seq%len(authors)], fmt.Sprintf(*postBody, seq), seq)
					postsMu.Lock()
					posts = append(posts, p)
					postsMu.Unlock()
				}(seq)
			}
			sent.Wait()
			res.PostEndedNS = time.Now().UnixNano()
		}()
	}
	firstSeen := map[string]int64{}
	var seenMu sync.Mutex
	var polls, pollErrors atomic.Int64
	stopPolling := make(chan struct{})
	if *pollURL != "" {
		client := &http.Client{Timeout: 10 * time.Second}
		pollers := readTokens(*pollTokens)
		for k, token := range pollers {
			workers.Add(1)
			go func(k int, token string) {
				defer workers.Done()
				// spread the pollers over one interval
				time.Sleep(time.Duration(k) * *pollInterval / time.Duration(len(pollers)))
				tick := time.NewTicker(*pollInterval)
				defer tick.Stop()
				for {
					ids, at, err := pollOnce(client, *pollURL, token)
					polls.Add(1)
					if err != nil {
						pollErrors.Add(1)
					}
					seenMu.Lock()
					for _, id := range ids {
						key := fmt.Sprintf("%d:%s", k, id) // per poller: "<poller index>:<status id>"
						if _, ok := firstSeen[key]; !ok {
							firstSeen[key] = at
						}
					}
					seenMu.Unlock()
					select {
					case <-stopPolling:
						return
					case <-tick.C:
					}
				}
			}(k, token)
		}
	}
	time.Sleep(time.Until(holdStart.Add(*hold)))
	close(stopPolling)
	res.HeldSeconds = time.Since(holdStart).Seconds()
	for i := range alive {
		if alive[i].Load() {
			res.OpenAtEnd++
		}
	}
	workers.Wait()
	cancel()
	streams.Wait()
	endKinds.Range(func(_, v any) bool { res.DropKinds[v.(string)]++; return true })
	for i := range ended {
		if ended[i].Load() {
			res.Dropped++
		}
	}
	col.mu.Lock()
	res.Arrivals = col.arrivals
	res.Events = col.events
	col.mu.Unlock()
	res.Heartbeats = col.heartbeats.Load()
	res.Malformed = col.malformed.Load()
	res.Posts = posts
	res.PostsSkipped = skipped.Load()
	res.PollFirstSeen = firstSeen
	res.Polls = polls.Load()
	res.PollErrors = pollErrors.Load()

	out := os.Stdout
	if *outPath != "" {
		f, err := os.Create(*outPath)
		if err != nil {
			fail("%v", err)
		}
		defer f.Close()
		out = f
	}
	w := bufio.NewWriterSize(out, 1<<20)
	if err := json.NewEncoder(w).Encode(res); err != nil {
		fail("%v", err)
	}
	w.Flush()
}

func kind(err error) string {
	if err == nil || err == io.EOF {
		return "eof"
	}
	s := err.Error()
	for _, k := range []string{"connection refused", "connection reset", "timeout", "too many open files", "unexpected EOF", "canceled"} {
		if strings.Contains(s, k) {
			return strings.ReplaceAll(k, " ", "_")
		}
	}
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}

func postOnce(client *http.Client, url, token, body string, seq int) Post {
	p := Post{Seq: seq, SentNS: time.Now().UnixNano()}
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		p.RespondedNS = time.Now().UnixNano()
		p.Error = kind(err)
		return p
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	p.RespondedNS = time.Now().UnixNano()
	p.Status = resp.StatusCode
	var out struct {
		ID        json.RawMessage `json:"id"`
		CreatedAt string          `json:"created_at"`
	}
	if json.Unmarshal(raw, &out) == nil {
		p.ID = strings.Trim(string(out.ID), `"`)
		p.CreatedAt = out.CreatedAt
	}
	if resp.StatusCode >= 300 {
		if len(raw) > 200 {
			raw = raw[:200]
		}
		p.Error = string(raw)
	}
	return p
}

// pollOnce reads one page of a feed; returns the ids on it (our `results` envelope or Mastodon's
// bare array) and when the response arrived.
func pollOnce(client *http.Client, url, token string) ([]string, int64, error) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, time.Now().UnixNano(), err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	at := time.Now().UnixNano()
	if err != nil || resp.StatusCode != 200 {
		return nil, at, fmt.Errorf("poll: %d %v", resp.StatusCode, err)
	}
	var items []map[string]json.RawMessage
	var page struct {
		Results []map[string]json.RawMessage `json:"results"`
	}
	if json.Unmarshal(raw, &page) == nil && page.Results != nil {
		items = page.Results
	} else if err := json.Unmarshal(raw, &items); err != nil {
		return nil, at, err
	}
	ids := make([]string, 0, len(items))
	for _, item := range items {
		if id, ok := stringField(item, "id"); ok {
			ids = append(ids, id)
		}
	}
	return ids, at, nil
}
