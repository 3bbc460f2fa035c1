// What the charts take of cdk8s-plus-28: its `k8s` bindings only (as tools/build.mjs bundles it).
exports.k8s = require('cdk8s-plus-28/lib/imports/k8s');
