package dev.sluice.pipeline.api;

import java.util.Optional;

/** The endpoints of one URL shape. */
interface Routes {

    /**
     * Answers the request, or returns empty when its path is none of these endpoints (the server
     * then answers 404).
     *
     * @throws ApiError for a request refused as it stands (400, 404, 405)
     * @throws dev.sluice.branching.BranchException from the store, which the server maps to a status
     */
    Optional<ApiResponse> handle(ApiRequest request);
}
