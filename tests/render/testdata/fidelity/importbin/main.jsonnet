// Binary files: importbin gives bytes, binaryData wants base64.
local blob = importbin 'logo.bin';
function(app, env, params) [
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: app.name + '-assets' },
    binaryData: { 'logo.bin': std.base64(blob) },
    data: { size: std.toString(std.length(blob)), first: std.toString(blob[0]) },
  },
]
