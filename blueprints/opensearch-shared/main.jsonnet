// opensearch-shared 1.x — the shared cluster's address; nothing to create.
function(app, env, params) { objects: [], outputs: { url: params.endpoint } }
