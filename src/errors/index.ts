// The bottom of the stack: the DUNE_* codes, the base class every error of the layer extends,
// its typed guard, and the error of a public call made with a bad argument.
export { type DuneErrorCode, ERROR_CODES } from './codes.js'
export { DuneP2pError, isDuneP2pError } from './dune-error.js'
export { InvalidArgumentError } from './invalid-argument.js'
