exports.main = (params) => ({ exported: true, params });
