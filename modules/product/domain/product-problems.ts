import { problemKind } from '../../../src/http/problem.js';
import { RESERVATION_NOT_HELD } from '../contract.js';

export const ProductNotFound = problemKind(404, 'product-not-found', 'Product not found');
export const SkuAlreadyExists = problemKind(409, 'sku-already-exists', 'SKU already in use');
/** Units promised to open reservations cannot disappear under them; they leave by release or sale. */
export const StockBelowReserved = problemKind(409, 'stock-below-reserved', 'Stock cannot go below the reserved units');
export const InvalidCursor = problemKind(400, 'invalid-cursor', 'The cursor is not valid');
/** A commit of a reservation that holds nothing: selling units that were given back would oversell. */
export const ReservationNotHeld = problemKind(409, RESERVATION_NOT_HELD, 'The reservation holds no units');
