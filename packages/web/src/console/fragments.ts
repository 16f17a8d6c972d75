import { graphql } from "../client/agent-graphql.ts";

/**
 * Fragments shared by the console's documents (console/queries.ts, places/queries.ts,
 * member/queries.ts). Not a queries.ts: a lone fragment is not a document to validate.
 */

export const ResourceFields = graphql(`
  fragment PlaceResourceFields on Resource @_unmask {
    id
    name
    category
    description
    owned
    ownerNodeId
    spaceId
    status
    sharingScope
    approvalRequired
    movable
    space {
      id
      name
    }
    rules {
      minMinutes
      maxMinutes
    }
  }
`);

export const RequestFields = graphql(`
  fragment PlaceRequestFields on BookingRequest @_unmask {
    id
    kind
    direction
    status
    resourceId
    ownerNodeId
    startsAt
    endsAt
    forSpaceId
    forMemberId
    reason
    reasonCode
    createdAt
    decidedAt
  }
`);

export const EnrolmentFields = graphql(`
  fragment MemberEnrolmentFields on Enrolment @_unmask {
    id
    status
    position
    offerExpiresAt
    reason
    reasonCode
    trainingId
    createdAt
    training {
      id
      title
      startsAt
      endsAt
      online
      venue {
        id
        name
      }
    }
  }
`);

/** A member's fields shown by the members' list and the member's page. */
export const MemberFields = graphql(`
  fragment ConsoleMemberFields on Member @_unmask {
    id
    displayName
    firstName
    email
    phone
    organisation
    homeSpaceId
    owned
    createdAt
  }
`);

/** A resource's booking, as the resource's page and the booking form list it. */
export const BookingFields = graphql(`
  fragment ConsoleBookingFields on Booking @_unmask {
    id
    kind
    status
    startsAt
    endsAt
    forMemberId
    forSpaceId
  }
`);

/** A training's seats as the trainings' list and the seats' subscription give them. */
export const SeatFields = graphql(`
  fragment ConsoleSeatFields on TrainingSeats @_unmask {
    capacity
    taken
    left
    waitlisted
  }
`);

/** A training as the trainings' list shows it (the training's page adds its details). */
export const TrainingFields = graphql(
  `
  fragment ConsoleTrainingFields on Training @_unmask {
    id
    title
    topic
    startsAt
    endsAt
    status
    scope
    owned
    online
    venue {
      name
    }
    space {
      name
    }
    seats {
      ...ConsoleSeatFields
    }
  }
`,
  [SeatFields],
);
