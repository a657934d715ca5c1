module socialapp/bench/streaming_client

go 1.19
