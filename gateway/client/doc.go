// Package client is a Go client of the DXP gateway's HTTP API (gateway/openapi.yaml): one
// method per operation, the bodies of package gateway/api, and every refusal as a *Problem (the
// RFC 9457 document, whose Code is the chain's refusal code when the chain refused).
//
//	c := client.New("http://127.0.0.1:8480", token)
//	up, err := c.Upload(ctx, csvBytes)
//	ref, err := c.Publish(ctx, api.PublishRequest{From: "owner1", Upload: up.ID, Schema: schema, Price: 5})
//	job, err := c.WaitJob(ctx, ref.Job, func(p api.Progress) { fmt.Println(p.Line) })
//	page, err := c.Datasets(ctx, client.Query{"q": "survey"})
//
// A write may carry an idempotency key (WithIdempotencyKey): the gateway then does it at most
// once, and a retry gets the first answer.
package client
