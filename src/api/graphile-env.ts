// Imported before anything from PostGraphile: Grafast reads GRAPHILE_ENV when
// it loads (development adds checks and friendlier errors). Default it from
// NODE_ENV instead of letting Grafast warn that it is unset.
process.env.GRAPHILE_ENV ??= process.env.NODE_ENV === 'development' ? 'development' : 'production';
